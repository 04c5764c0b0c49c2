import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "@dockwatch/test-helpers";
import { Redis } from "ioredis";

/**
 * A redis-server of the test's own, on a free port, that the test may stop
 * and start again: the shared Redis of the machine stays untouched. Runs in
 * the foreground as this process's child (no daemon to leave behind).
 */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Starts it (again, on the same port and data dir). */
  start(): Promise<void>;
  /** SIGKILL, as a crashed or unreachable Redis looks to a client. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that hangs, its connections open, its commands unanswered. */
  freeze(): void;
  thaw(): void;
}

export async function privateRedis(args: string[] = ["--save", "", "--appendonly", "no"], opts: { password?: string } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "dockwatch-redis-"));
  let child: ChildProcess | undefined;
  const ping = async () => {
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, password: opts.password });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } finally {
      probe.disconnect();
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, ...args], { stdio: "ignore" });
      await waitFor(`private redis on ${port}`, ping, 15_000, 100);
    },
    freeze: () => void child?.kill("SIGSTOP"),
    thaw: () => void child?.kill("SIGCONT"),
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited;
      child = undefined;
    },
  };
}
