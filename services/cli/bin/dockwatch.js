#!/usr/bin/env node
// The `dockwatch` bin. A committed file rather than dist/cli.js itself: npm
// links a workspace's bins at install time, before anything is built, and
// skips a bin whose file does not exist yet, so a fresh clone would have no
// `npx dockwatch` at all.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("dockwatch: not built yet; run `npm start` (or `bash scripts/bootstrap.sh`) once in the repository\n");
  process.exit(1);
}
await import(cli.href);
