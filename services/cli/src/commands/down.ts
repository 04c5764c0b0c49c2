import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "../paths.js";
import { runInfraLocal } from "./infra.js";

export const upPidFile = join(stateDir, "run/dockwatch-up.pid");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops the services of a running `dockwatch up` (SIGTERM, clean stop), then the local infrastructure. */
export async function down(): Promise<void> {
  if (existsSync(upPidFile)) {
    const pid = Number(readFileSync(upPidFile, "utf8"));
    if (pid && alive(pid)) {
      process.stderr.write(`dockwatch: stopping the services of dockwatch up (pid ${pid})…\n`);
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 600 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    }
    rmSync(upPidFile, { force: true });
  }
  await runInfraLocal("down");
}
