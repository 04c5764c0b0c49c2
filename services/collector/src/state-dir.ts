import { ConfigError } from "@dockwatch/config";
import { accessSync, constants, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Root keeps its state where system services do; anyone else under XDG state. */
export function defaultStateDir(uid: number | undefined, home = homedir()): string {
  return uid === 0 ? "/var/lib/dockwatch/collector" : join(home, ".local/state/dockwatch/collector");
}

/** Creates the directory when missing and checks it is writable, so a bad path stops the collector at start. */
export function ensureStateDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch (err) {
    throw new ConfigError("COLLECTOR_STATE_DIR", `a creatable, writable directory (${(err as NodeJS.ErrnoException).code ?? "error"})`, dir);
  }
  return dir;
}
