/**
 * A failure of infrastructure (a broker, Redis, Elasticsearch) rather than of
 * the record: the batch is retried instead of dead-lettering the record.
 */
export class RetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RetryableError";
  }
}
