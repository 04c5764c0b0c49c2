// Avro schema (JSON) -> TypeScript declarations of the values avsc hands us.
//
// Hand-written rather than a library: the maintained generators
// (@ovotech/avro-ts, avro-typescript) type Avro `long` as `number`, while
// @dockwatch/codec reads longs as BigInt (avsc's LongType.__with) so that
// engine nanosecond timestamps above 2^53 stay exact; one also pulls a second
// TypeScript compiler in. What we need is small: the read-side shape of the
// schemas in schemas/, with one definition per named type across all files.
//
// Types describe values as the codec decodes them (a reader always sees every
// field: defaults are filled in), so no field is optional; a field that may be
// absent is a union with null. The codec registers no logical types, so a
// logical type is typed as avsc reads it: its underlying type.

export interface SchemaFile {
  /** Where the schema came from, for error messages (e.g. "Alert.avsc"). */
  file: string;
  schema: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const PRIMITIVES: Record<string, string> = {
  null: "null",
  boolean: "boolean",
  int: "number",
  long: "bigint",
  float: "number",
  double: "number",
  bytes: "Buffer",
  string: "string",
};

interface Definition {
  /** TypeScript declaration, without its doc comment. */
  body: string;
  doc: string | undefined;
  /** The definition without docs, to compare the same name across files. */
  shape: string;
  file: string;
  /** Claimed (its name is in use) but its fields are still being converted. */
  pending: boolean;
}

export class SchemaToTypeScriptError extends Error {
  override name = "SchemaToTypeScriptError";
}

/** TypeScript source declaring every named type of `files`, in order of first appearance. */
export function avroToTypeScript(files: SchemaFile[]): string {
  const definitions = new Map<string, Definition>();
  // Full name (namespace.name) by short name: the TypeScript names are short, so two namespaces must not share one.
  const fullNames = new Map<string, string>();

  for (const { file, schema } of files) {
    // Names defined so far in this file: a reference must follow its definition (Avro's rule).
    const local = new Set<string>();
    const fail = (path: string, message: string): never => {
      throw new SchemaToTypeScriptError(`${file}: ${path}: ${message}`);
    };

    const fullName = (name: string, namespace: string | undefined) =>
      name.includes(".") || !namespace ? name : `${namespace}.${name}`;

    // A named type is known from its definition on (records: before their fields, so that they may recur).
    const claim = (path: string, full: string): string => {
      if (local.has(full)) fail(path, `${full} is defined twice`);
      local.add(full);
      // Reserve the output slot so that a record comes out before the types nested in it.
      const short = full.split(".").pop()!;
      if (!definitions.has(short)) definitions.set(short, { body: "", doc: undefined, shape: "", file, pending: true });
      return full;
    };

    const define = (path: string, full: string, body: string, doc: string | undefined, node: JsonObject): string => {
      const short = full.split(".").pop()!;
      const known = fullNames.get(short);
      if (known !== undefined && known !== full) fail(path, `${full} and ${known} would both be the TypeScript type ${short}`);
      const shape = JSON.stringify(shapeOf(node, true));
      const existing = definitions.get(short);
      if (existing && !existing.pending) {
        if (existing.shape !== shape) fail(path, `${full} differs from its definition in ${existing.file}`);
        existing.doc ??= doc;
      } else {
        fullNames.set(short, full);
        definitions.set(short, { body, doc, shape, file, pending: false });
      }
      return short;
    };

    const convert = (node: Json, path: string, namespace: string | undefined): string => {
      if (typeof node === "string") {
        const primitive = PRIMITIVES[node];
        if (primitive) return primitive;
        const full = fullName(node, namespace);
        // A bare name may also be a name from the null namespace.
        const found = [full, node].find((candidate) => local.has(candidate));
        if (!found) return fail(path, `unknown type ${node} (a named type must be defined before it is used)`);
        return found.split(".").pop()!;
      }
      if (Array.isArray(node)) return convertUnion(node, path, namespace);
      if (node === null || typeof node !== "object") return fail(path, `not a schema: ${JSON.stringify(node)}`);
      const type = node.type;
      if (typeof type !== "string") {
        if (type !== undefined && typeof type === "object") return convert(type, path, namespace);
        return fail(path, "schema without a type");
      }
      const doc = typeof node.doc === "string" ? node.doc : undefined;
      if (typeof node.logicalType === "string" && type in PRIMITIVES) return PRIMITIVES[type]!;
      switch (type) {
        case "record":
        case "error": {
          const name = stringAttr(node, "name", path, fail);
          const ns = typeof node.namespace === "string" ? node.namespace : name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : namespace;
          const full = claim(path, fullName(name, ns));
          if (!Array.isArray(node.fields)) return fail(path, `record ${name} without fields`);
          const lines: string[] = [];
          const seen = new Set<string>();
          for (const field of node.fields) {
            if (field === null || typeof field !== "object" || Array.isArray(field)) return fail(path, `record ${name}: a field is not an object`);
            const fieldName = stringAttr(field, "name", `${path}.${name}`, fail);
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(fieldName)) fail(`${path}.${fieldName}`, "not an Avro name");
            if (seen.has(fieldName)) fail(`${path}.${fieldName}`, "field defined twice");
            seen.add(fieldName);
            if (field.type === undefined) return fail(`${path}.${fieldName}`, "field without a type");
            const fieldType = convert(field.type, `${path}.${fieldName}`, ns);
            if (typeof field.doc === "string") lines.push(...docComment(field.doc, "  "));
            lines.push(`  ${fieldName}: ${fieldType};`);
          }
          return define(path, full, `export interface ${full.split(".").pop()} {\n${lines.join("\n")}\n}`, doc, node);
        }
        case "enum": {
          const name = stringAttr(node, "name", path, fail);
          const ns = typeof node.namespace === "string" ? node.namespace : namespace;
          const symbols = node.symbols;
          if (!Array.isArray(symbols) || symbols.length === 0 || !symbols.every((s) => typeof s === "string")) {
            return fail(path, `enum ${name} needs a list of symbols`);
          }
          const full = claim(path, fullName(name, ns));
          return define(path, full, `export type ${full.split(".").pop()} = ${symbols.map((s) => JSON.stringify(s)).join(" | ")};`, doc, node);
        }
        case "fixed": {
          const name = stringAttr(node, "name", path, fail);
          const ns = typeof node.namespace === "string" ? node.namespace : namespace;
          const full = claim(path, fullName(name, ns));
          return define(path, full, `export type ${full.split(".").pop()} = Buffer;`, doc, node);
        }
        case "array":
          if (node.items === undefined) return fail(path, "array without items");
          return arrayOf(convert(node.items, `${path}[]`, namespace));
        case "map":
          if (node.values === undefined) return fail(path, "map without values");
          return `Record<string, ${convert(node.values, `${path}{}`, namespace)}>`;
        default:
          if (type in PRIMITIVES) return PRIMITIVES[type]!;
          // A named reference written as {"type": "Name"}.
          return convert(type, path, namespace);
      }
    };

    const convertUnion = (branches: Json[], path: string, namespace: string | undefined): string => {
      const nonNull = branches.filter((branch) => branch !== "null");
      // avsc (wrapUnions: auto) hands out a union of null and one type unwrapped;
      // with two or more non-null branches it may wrap them ({"string": ...}),
      // which no schema here needs: refuse rather than type it wrongly.
      if (nonNull.length !== 1 || branches.length > 2) {
        return fail(path, `union ${JSON.stringify(branches)}: only [null, T] unions are supported`);
      }
      const inner = convert(nonNull[0]!, path, namespace);
      return branches.length === 2 ? `${inner} | null` : inner;
    };

    const top = convert(schema as Json, file.replace(/\.avsc$/, ""), undefined);
    if (!definitions.has(top)) fail(file, "the top-level schema must be a named type");
  }

  const out: string[] = [];
  for (const { body, doc } of definitions.values()) {
    if (doc !== undefined) out.push(...docComment(doc, ""));
    out.push(body, "");
  }
  return out.join("\n");
}

function arrayOf(item: string): string {
  return /[|&]/.test(item) ? `Array<${item}>` : `${item}[]`;
}

function stringAttr(node: JsonObject, key: string, path: string, fail: (path: string, message: string) => never): string {
  const value = node[key];
  return typeof value === "string" && value.length > 0 ? value : fail(path, `missing ${key}`);
}

function docComment(doc: string, indent: string): string[] {
  const lines = doc.replace(/\*\//g, "*\\/").split("\n");
  return lines.length === 1 ? [`${indent}/** ${lines[0]} */`] : [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`];
}

const NAMED = new Set(["record", "error", "enum", "fixed"]);

/**
 * What must be equal between two copies of a named type: the schema without
 * `doc` (documentation may differ), nested named types by name only (they are
 * compared where they are defined).
 */
function shapeOf(node: Json, top = false): Json {
  if (Array.isArray(node)) return node.map((n) => shapeOf(n));
  if (node === null || typeof node !== "object") return node;
  if (!top && typeof node.type === "string" && NAMED.has(node.type) && typeof node.name === "string") return node.name;
  return Object.fromEntries(Object.entries(node).filter(([key]) => key !== "doc").map(([key, value]) => [key, shapeOf(value)]));
}
