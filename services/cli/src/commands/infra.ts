import { spawn } from "node:child_process";
import { infraLocal } from "../paths.js";

/** Runs infra/local with its progress on our stderr; rejects with its exit code. */
export function runInfraLocal(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(infraLocal, args, { stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`infra/local ${args.join(" ")} failed (exit ${code})`))));
  });
}
