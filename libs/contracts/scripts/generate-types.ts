// Writes src/types.generated.ts from schemas/*.avsc (`npm run generate`), or,
// with --check (the package's build), fails when the committed file is not
// what the schemas give. The output is committed so that every package
// typechecks and lints on a fresh clone before anything is built.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { avroToTypeScript } from "./avro-to-ts.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
export const SCHEMAS_DIR = join(packageDir, "../../schemas");
export const OUTPUT = join(packageDir, "src/types.generated.ts");

/** The generated module for every `*.avsc` in `dir` (sorted by file name, so the output is stable). */
export function generateTypes(dir = SCHEMAS_DIR): string {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".avsc"))
    .sort()
    .map((file) => ({ file, schema: JSON.parse(readFileSync(join(dir, file), "utf8")) as unknown }));
  return [
    "// Generated from schemas/*.avsc by libs/contracts/scripts/generate-types.ts: do not edit.",
    "// After changing a schema, run `npm run generate -w @dockwatch/contracts` and commit the result.",
    "",
    avroToTypeScript(files),
  ].join("\n");
}

function main(argv: string[]): number {
  const expected = generateTypes();
  const target = relative(process.cwd(), OUTPUT);
  if (argv.includes("--check")) {
    let actual = "";
    try {
      actual = readFileSync(OUTPUT, "utf8");
    } catch {
      // Missing counts as out of date.
    }
    if (actual === expected) return 0;
    console.error(`${target} is out of date with schemas/*.avsc: run \`npm run generate -w @dockwatch/contracts\` and commit it`);
    return 1;
  }
  writeFileSync(OUTPUT, expected);
  console.log(`wrote ${target}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
