import type avro from "avsc";
import { CodecError } from "./errors.js";
import { crc64Avro } from "./fingerprint.js";
import { loadSchemas, parseSchema } from "./types.js";

/** Avro single-object encoding marker (spec: "Single-object encoding"). */
const MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = 10;
/** Initial size of encode's scratch buffer: most records are a few KB. */
const SCRATCH_BYTES = 64 * 1024;

/**
 * Where writer schemas are published and looked up by fingerprint (hex of the
 * 8 header bytes). In production this is the compacted `dockwatch.schemas`
 * topic (@dockwatch/kafka); tests may use the in-memory one.
 */
export interface SchemaStore {
  publish(fingerprint: string, schemaJson: string): Promise<void>;
  lookup(fingerprint: string): Promise<string | undefined>;
}

export class MemorySchemaStore implements SchemaStore {
  readonly schemas = new Map<string, string>();
  async publish(fingerprint: string, schemaJson: string): Promise<void> {
    this.schemas.set(fingerprint, schemaJson);
  }
  async lookup(fingerprint: string): Promise<string | undefined> {
    return this.schemas.get(fingerprint);
  }
}

export function fingerprintOf(type: avro.Type): Buffer {
  // schema() without options is the Parsing Canonical Form (as an object).
  return crc64Avro(JSON.stringify(type.schema()));
}

export interface Codec {
  /** Publishes the local schema of `name` to the store; call before first encode. */
  register(name: string): Promise<void>;
  encode(name: string, value: unknown): Buffer;
  /** Decodes into the local (reader) schema `name`, resolving the writer schema by fingerprint. */
  decode<T>(name: string, message: Buffer): Promise<T>;
  /**
   * Checks a value that did not come through Avro (a JSON alert) against the
   * schema `name` and its contract check; returns it typed, or throws a
   * CodecError("invalid-value") naming the first bad field.
   */
  validate<T>(name: string, value: unknown): T;
  fingerprint(name: string): string;
}

/**
 * What a schema cannot say about a value (a non-empty id, a time that is a
 * time): the first problem, or undefined. Keyed by record name; see
 * CONTRACT_CHECKS in @dockwatch/contracts.
 */
export type ContractChecks = Readonly<Record<string, (value: unknown) => string | undefined>>;

export interface CodecOptions {
  store: SchemaStore;
  /** Reader/writer schemas by name; defaults to the repo's `schemas/`. */
  types?: Map<string, avro.Type>;
  /** Run on every decoded (and validated) value: a value that fails is a CodecError("invalid-value"), dead-lettered like bad bytes. */
  checks?: ContractChecks;
}

/** The path of the first field of `value` that `type` refuses ("rule.level", "data.docker"), or undefined. */
function firstInvalidPath(type: avro.Type, value: unknown): string | undefined {
  let found: string | undefined;
  type.isValid(value, {
    errorHook: (path) => {
      found ??= path.length > 0 ? path.join(".") : "(the value itself)";
    },
  });
  return found;
}

export function createCodec({ store, types = loadSchemas(), checks = {} }: CodecOptions): Codec {
  const local = new Map<string, { type: avro.Type; fp: Buffer; hex: string }>();
  const writers = new Map<string, avro.Type>();
  for (const [name, type] of types) {
    const fp = fingerprintOf(type);
    local.set(name, { type, fp, hex: fp.toString("hex") });
    writers.set(fp.toString("hex"), type);
  }
  const resolvers = new Map<string, avro.Resolver>();
  /** Where encode writes a body before copying it out; grows to the largest record seen. */
  let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  const published = new Set<string>();

  const schemaOf = (name: string) => {
    const entry = local.get(name);
    if (!entry) throw new Error(`codec: no schema named ${name} (known: ${[...local.keys()].join(", ")})`);
    return entry;
  };

  async function writerFor(hex: string): Promise<avro.Type> {
    const known = writers.get(hex);
    if (known) return known;
    const json = await store.lookup(hex);
    if (json === undefined) throw new CodecError("unknown-schema", `writer schema ${hex} is neither local nor in the schema topic`);
    let type: avro.Type;
    try {
      type = parseSchema(json);
    } catch (err) {
      throw new CodecError("unknown-schema", `writer schema ${hex} in the schema topic does not parse: ${(err as Error).message}`);
    }
    // A schema registered under a fingerprint it does not have would decode garbage.
    if (fingerprintOf(type).toString("hex") !== hex) {
      throw new CodecError("unknown-schema", `schema topic entry ${hex} does not match its fingerprint`);
    }
    writers.set(hex, type);
    return type;
  }

  /** The value as is, or a CodecError naming what breaks the contract of `name`. */
  function checked<T>(name: string, value: T): T {
    const problem = checks[name]?.(value);
    if (problem !== undefined) throw new CodecError("invalid-value", `${name} breaks its contract: ${problem}`);
    return value;
  }

  return {
    async register(name) {
      const { type, hex } = schemaOf(name);
      if (published.has(hex)) return;
      await store.publish(hex, JSON.stringify(type.schema({ exportAttrs: true })));
      published.add(hex);
    },

    encode(name, value) {
      const { type, fp } = schemaOf(name);
      // The body is written after the header's room in a reused scratch buffer,
      // then header and body go to the output in one allocation (toBuffer plus
      // a concat copied every record twice). Same bytes.
      let end: number;
      try {
        end = type.encode(value, scratch, HEADER_LENGTH);
        // A negative end is the number of bytes missing: grow and write again.
        while (end < 0) {
          scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
          end = type.encode(value, scratch, HEADER_LENGTH);
        }
      } catch (err) {
        throw new CodecError("invalid-value", `value does not match ${name}: ${(err as Error).message}`);
      }
      const out = Buffer.allocUnsafe(end);
      MAGIC.copy(out, 0);
      fp.copy(out, MAGIC.length);
      scratch.copy(out, HEADER_LENGTH, HEADER_LENGTH, end);
      return out;
    },

    async decode<T>(name: string, message: Buffer): Promise<T> {
      const reader = schemaOf(name);
      if (message.length < HEADER_LENGTH || message[0] !== MAGIC[0] || message[1] !== MAGIC[1]) {
        throw new CodecError("not-avro", "missing the Avro single-object header (C3 01 + fingerprint)");
      }
      const hex = message.subarray(2, HEADER_LENGTH).toString("hex");
      const body = message.subarray(HEADER_LENGTH);
      const writer = await writerFor(hex);
      let resolver: avro.Resolver | undefined;
      if (writer !== reader.type) {
        const key = `${hex}>${reader.hex}`;
        resolver = resolvers.get(key);
        if (!resolver) {
          try {
            resolver = reader.type.createResolver(writer);
          } catch (err) {
            throw new CodecError("incompatible-schema", `writer ${hex} cannot be read as ${name}: ${(err as Error).message}`);
          }
          resolvers.set(key, resolver);
        }
      }
      let value: T;
      try {
        value = reader.type.fromBuffer(body, resolver) as T;
      } catch (err) {
        throw new CodecError("malformed", `body does not decode as ${name}: ${(err as Error).message}`);
      }
      return checked(name, value);
    },

    validate<T>(name: string, value: unknown): T {
      const path = firstInvalidPath(schemaOf(name).type, value);
      if (path !== undefined) throw new CodecError("invalid-value", `not a valid ${name}: ${path} is missing or of the wrong type`);
      return checked(name, value as T);
    },

    fingerprint(name) {
      return schemaOf(name).hex;
    },
  };
}
