import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: where infra/local and infra/.local live. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const infraLocal = join(repoRoot, "infra/local");
export const logsDir = join(repoRoot, "infra/.local/logs");
