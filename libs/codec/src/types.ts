import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import avro from "avsc";

// Avro longs are read as BigInt so that engine timestamps above 2^53
// nanoseconds are never rounded (avsc's documented LongType.__with hook).
const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (json: number | string | bigint) => BigInt(json),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === "bigint",
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** Parses a schema (JSON text or object) with BigInt longs. */
export function parseSchema(schema: string | object): avro.Type {
  const json = typeof schema === "string" ? (JSON.parse(schema) as object) : schema;
  return avro.Type.forSchema(json as avro.Schema, { registry: { long: bigintLong } });
}

/** The directory of the `@dockwatch/schemas` package (the repo's `schemas/`). */
export function schemasDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@dockwatch/schemas/package.json"));
}

/** Every `*.avsc` in `dir`, by record name (`DockerEvent`, `Alert`, ...). */
export function loadSchemas(dir = schemasDir()): Map<string, avro.Type> {
  const types = new Map<string, avro.Type>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".avsc")).sort()) {
    const type = parseSchema(readFileSync(join(dir, file), "utf8"));
    const name = (type.name ?? file).split(".").pop()!;
    types.set(name, type);
  }
  return types;
}
