import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: where infra/local and infra/.local live. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const infraLocal = join(repoRoot, "infra/local");
/** infra/local's state dir (DOCKWATCH_INFRA_STATE, as infra/local reads it): `dockwatch up` keeps its logs and pid file there. */
export const stateDir = process.env.DOCKWATCH_INFRA_STATE || join(repoRoot, "infra/.local");
export const logsDir = join(stateDir, "logs");
