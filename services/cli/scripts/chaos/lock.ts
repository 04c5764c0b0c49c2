// The machine's shared infrastructure lock (/tmp/dockwatch-infra.lock): held
// shared while the run uses the shared Kafka and Elasticsearch, exclusively
// while it stops one of them or dockerd. flock(1) holds it for us: it runs
// `cat`, which lives until we close its stdin.
import { spawn } from "node:child_process";

export const INFRA_LOCK = "/tmp/dockwatch-infra.lock";

export interface HeldLock {
  mode: "shared" | "exclusive";
  release(): Promise<void>;
}

/** Holds the lock; with `waitSeconds`, gives up (rejects) when it is not free within that time. */
export async function acquireLock(mode: "shared" | "exclusive", path = INFRA_LOCK, waitSeconds?: number): Promise<HeldLock> {
  const wait = waitSeconds === undefined ? [] : ["-w", String(waitSeconds)];
  const child = spawn("flock", [mode === "shared" ? "-s" : "-x", ...wait, path, "-c", "echo locked; exec cat"], { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the ${mode} lock ${path} was not free${waitSeconds === undefined ? "" : ` within ${waitSeconds} s`} (flock exit ${code})`)));
    child.stdout.once("data", () => resolve());
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    mode,
    async release() {
      child.stdin.end();
      await exited;
    },
  };
}
