import type { ElasticsearchSettings } from "@dockwatch/config";
import { Client } from "@elastic/elasticsearch";

/** The client every program builds from the validated settings (URL, API key or user, CA). */
export function createElasticsearchClient(settings: ElasticsearchSettings): Client {
  return new Client({
    node: settings.url,
    ...(settings.apiKey
      ? { auth: { apiKey: settings.apiKey } }
      : settings.username
        ? { auth: { username: settings.username, password: settings.password ?? "" } }
        : {}),
    ...(settings.ca || !settings.rejectUnauthorized ? { tls: { ca: settings.ca, rejectUnauthorized: settings.rejectUnauthorized } } : {}),
    // Retries are ours (the shared retry policy, per item for _bulk), not the client's.
    maxRetries: 0,
    requestTimeout: 30_000,
  });
}
