import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SchemaToTypeScriptError, avroToTypeScript, type SchemaFile } from "../scripts/avro-to-ts.js";
import { OUTPUT, generateTypes } from "../scripts/generate-types.js";

const record = (name: string, fields: unknown[], extra: object = {}) => ({ type: "record", name, namespace: "t", fields, ...extra });
const one = (schema: unknown): string => avroToTypeScript([{ file: "T.avsc", schema }]);
/** The body of `export interface <name> { ... }` as trimmed lines. */
function fieldsOf(ts: string, name: string): string[] {
  const match = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(ts);
  assert.ok(match, `no interface ${name} in:\n${ts}`);
  return match[1]!.split("\n").map((l) => l.trim()).filter((l) => !l.startsWith("/**"));
}

describe("avroToTypeScript", () => {
  it("types values as the codec reads them: long as bigint, bytes as Buffer", () => {
    const ts = one(
      record("P", ["null", "boolean", "int", "long", "float", "double", "bytes", "string"].map((t) => ({ name: `f_${t}`, type: t }))),
    );
    assert.deepEqual(fieldsOf(ts, "P"), [
      "f_null: null;",
      "f_boolean: boolean;",
      "f_int: number;",
      "f_long: bigint;",
      "f_float: number;",
      "f_double: number;",
      "f_bytes: Buffer;",
      "f_string: string;",
    ]);
  });

  it("types a logical type as its underlying type (the codec registers none, so avsc reads that)", () => {
    const ts = one(
      record("L", [
        { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
        { name: "day", type: { type: "int", logicalType: "date" } },
        { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 } },
        { name: "uuid", type: { type: "string", logicalType: "uuid" } },
      ]),
    );
    assert.deepEqual(fieldsOf(ts, "L"), ["at: bigint;", "day: number;", "amount: Buffer;", "uuid: string;"]);
  });

  it("makes [null, T] nullable, never optional: a reader always gets every field, defaults filled in", () => {
    const ts = one(
      record("N", [
        { name: "a", type: ["null", "string"], default: null },
        { name: "b", type: ["long", "null"] },
        { name: "c", type: { type: "array", items: ["null", "string"] } },
        { name: "d", type: { type: "map", values: ["null", "long"] } },
        { name: "e", type: ["string"] },
        { name: "f", type: "int", default: 3 },
      ]),
    );
    assert.deepEqual(fieldsOf(ts, "N"), ["a: string | null;", "b: bigint | null;", "c: Array<string | null>;", "d: Record<string, bigint | null>;", "e: string;", "f: number;"]);
  });

  it("refuses unions that avsc may wrap, rather than typing them wrongly", () => {
    assert.throws(() => one(record("U", [{ name: "u", type: ["null", "string", "long"] }])), /T\.avsc: T\.u: union .* only \[null, T\] unions are supported/);
    assert.throws(() => one(record("U", [{ name: "u", type: ["string", "long"] }])), SchemaToTypeScriptError);
  });

  it("declares enums, fixed, nested records, arrays and maps of records, each named type once", () => {
    const ts = one(
      record("Outer", [
        { name: "kind", type: { type: "enum", name: "Kind", symbols: ["a", "b"] } },
        { name: "hash", type: { type: "fixed", name: "Hash", size: 16 } },
        { name: "inner", type: record("Inner", [{ name: "x", type: "long" }]) },
        { name: "inners", type: { type: "array", items: "Inner" } },
        { name: "byName", type: { type: "map", values: "t.Inner" } },
        { name: "maybe", type: ["null", { type: "Inner" }] },
        { name: "kinds", type: { type: "array", items: "Kind" } },
      ]),
    );
    assert.deepEqual(fieldsOf(ts, "Outer"), [
      "kind: Kind;",
      "hash: Hash;",
      "inner: Inner;",
      "inners: Inner[];",
      "byName: Record<string, Inner>;",
      "maybe: Inner | null;",
      "kinds: Kind[];",
    ]);
    assert.match(ts, /^export type Kind = "a" \| "b";$/m);
    assert.match(ts, /^export type Hash = Buffer;$/m);
    assert.deepEqual(fieldsOf(ts, "Inner"), ["x: bigint;"]);
    assert.equal(ts.match(/export interface Inner /g)?.length, 1);
    // A record comes out before the types nested in it.
    assert.ok(ts.indexOf("interface Outer") < ts.indexOf("interface Inner"));
  });

  it("lets a record refer to itself", () => {
    const ts = one(record("Node", [{ name: "next", type: ["null", "Node"] }]));
    assert.deepEqual(fieldsOf(ts, "Node"), ["next: Node | null;"]);
  });

  it("carries docs over as comments", () => {
    const ts = one(record("D", [{ name: "x", type: "string", doc: "The x." }], { doc: "A D." }));
    assert.match(ts, /\/\*\* A D\. \*\/\nexport interface D \{\n {2}\/\*\* The x\. \*\/\n {2}x: string;/);
  });

  it("rejects a reference to a type not defined before it, and a type defined twice", () => {
    assert.throws(() => one(record("R", [{ name: "m", type: "Missing" }])), /T\.avsc: T\.m: unknown type Missing/);
    const inner = record("I", [{ name: "x", type: "int" }]);
    assert.throws(() => one(record("R", [{ name: "a", type: inner }, { name: "b", type: inner }])), /t\.I is defined twice/);
    assert.throws(() => one("string"), /top-level schema must be a named type/);
  });

  describe("across schema files", () => {
    const agent = (fields: unknown[], doc?: string) => record("Agent", fields, doc ? { doc } : {});
    const file = (name: string, agentSchema: unknown): SchemaFile => ({ file: `${name}.avsc`, schema: record(name, [{ name: "agent", type: agentSchema }]) });

    it("declares a named type once when every file's copy is the same (docs may differ)", () => {
      const ts = avroToTypeScript([file("A", agent([{ name: "id", type: "string" }])), file("B", agent([{ name: "id", type: "string", doc: "the id" }], "An agent."))]);
      assert.equal(ts.match(/export interface Agent /g)?.length, 1);
      // The first doc found is kept, from whichever file has one.
      assert.match(ts, /\/\*\* An agent\. \*\/\nexport interface Agent/);
    });

    it("fails when two files define the same name differently: fields, types, nullability, defaults, symbols", () => {
      const base = [{ name: "id", type: "string" }];
      const variants: unknown[][] = [
        [{ name: "id", type: "string" }, { name: "ip", type: "string" }],
        [{ name: "ID", type: "string" }],
        [{ name: "id", type: "long" }],
        [{ name: "id", type: ["null", "string"] }],
        [{ name: "id", type: "string", default: "x" }],
      ];
      for (const fields of variants) {
        assert.throws(() => avroToTypeScript([file("A", agent(base)), file("B", agent(fields))]), /B\.avsc: B\.agent: t\.Agent differs from its definition in A\.avsc/, JSON.stringify(fields));
      }
      const kind = (symbols: string[]) => ({ type: "enum", name: "Kind", symbols });
      assert.throws(() => avroToTypeScript([file("A", kind(["a", "b"])), file("B", kind(["a", "c"]))]), /Kind differs/);
    });

    it("fails when two namespaces would give the same TypeScript name", () => {
      const other = { ...agent([{ name: "id", type: "string" }]), namespace: "u" };
      assert.throws(() => avroToTypeScript([file("A", agent([{ name: "id", type: "string" }])), file("B", other)]), /u\.Agent and t\.Agent would both be the TypeScript type Agent/);
    });
  });
});

describe("src/types.generated.ts", () => {
  it("is what schemas/*.avsc give (else run `npm run generate -w @dockwatch/contracts`)", () => {
    assert.equal(readFileSync(OUTPUT, "utf8"), generateTypes());
  });
});
