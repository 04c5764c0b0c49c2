import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root (for infra/local and its state). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const kafkaBrokers = (process.env.KAFKA_BROKERS ?? "localhost:9092").split(",");

/** Addresses of the real local infrastructure, overridable by the services' own variables. */
export const infra = {
  kafkaBrokers,
  /**
   * The Kafka variables of a test's service env: the brokers, and the
   * durability they can give. infra/local's default Kafka is one broker, so
   * the topics a test creates keep one copy (the services' default of 3 would
   * be refused there) unless KAFKA_REPLICATION_FACTOR and
   * KAFKA_MIN_INSYNC_REPLICAS say otherwise.
   */
  kafkaEnv: {
    KAFKA_BROKERS: kafkaBrokers.join(","),
    KAFKA_REPLICATION_FACTOR: process.env.KAFKA_REPLICATION_FACTOR ?? "1",
    KAFKA_MIN_INSYNC_REPLICAS: process.env.KAFKA_MIN_INSYNC_REPLICAS ?? "1",
  },
  elasticsearchUrl: process.env.ELASTICSEARCH_URL ?? "http://localhost:9200",
  redisUrl: process.env.REDIS_URL ?? "redis://localhost:6379",
};

/** The local busybox image that infra/local built (no registry is reachable). */
export function busyboxImage(): string {
  if (process.env.DOCKWATCH_TEST_IMAGE) return process.env.DOCKWATCH_TEST_IMAGE;
  return readFileSync(join(repoRoot, "infra/.local/busybox-image"), "utf8").trim();
}

/** A name no other test run uses: topics, groups, containers, indices. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * A TCP port free right now on every interface (bound to port 0, then
 * released), for a process spawned next that must be told its port up front
 * (HEALTH_PORT=0 would work, but the spawner polls /readyz on a known port).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the docker CLI; returns stdout trimmed. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

export async function infraLocal(...args: string[]): Promise<string> {
  const { stdout } = await run(join(repoRoot, "infra/local"), args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
