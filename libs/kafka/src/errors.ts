import { DependencyError } from "@dockwatch/errors";

/**
 * A failure of infrastructure (a broker, Redis, Elasticsearch) rather than of
 * the record: the batch is retried instead of dead-lettering the record.
 */
export class RetryableError extends DependencyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("dependency-unavailable", message, options);
  }
}
