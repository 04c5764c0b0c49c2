import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { DockerEvent } from "@dockwatch/contracts";
import { prng } from "@dockwatch/test-helpers";
import { isLosslessNumber } from "lossless-json";
import { DEFAULT_REDACTOR, DecodeError, MASK, createRedactor, decodeEvent, fullLog, type Redactor } from "../src/index.js";
import { parseLossless, plainJsonToPython, pythonJsonDumps } from "../src/python-json.js";
import { containerLine, rawFromEngineLine } from "../src/testing.js";

// The decoder's shortcuts must not change a byte of its output: full_log of
// a raw line with nothing to mask is rewritten without the lossless parse,
// and the redactor returns a value as it is when nothing in it can be masked.
// Each is compared here with the slow path it skips, on every fixture line,
// on seeded random engine lines like the bench's fleet simulator's (whose
// records scripts/decoder-cpu-bench.ts checks the same way: a library's test
// cannot import a service's script) and on crafted texts.

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../fixtures");
function fixtureLines(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? fixtureLines(join(dir, e.name)) : e.name.endsWith(".jsonl") ? readFileSync(join(dir, e.name), "utf8").split("\n").filter(Boolean) : [],
  );
}

/** What full_log's docker part was before the shortcut: parse, redact, serialize. */
function slowDocker(text: string, redactor = DEFAULT_REDACTOR): string | "invalid" {
  let tree: unknown;
  try {
    tree = parseLossless(text);
  } catch {
    return "invalid";
  }
  return pythonJsonDumps(slowValue(tree, redactor));
}

/** redactor.value as it was: a full copy, every string through text(), secret-named entries masked. */
function slowValue(v: unknown, r: Redactor = DEFAULT_REDACTOR): unknown {
  if (typeof v === "string") return r.text(v);
  if (Array.isArray(v)) return v.map((inner) => slowValue(inner, r));
  if (v !== null && typeof v === "object" && !Buffer.isBuffer(v) && !isLosslessNumber(v) && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) out[r.text(k)] = typeof inner === "string" && r.isSecretKey(k) ? MASK : slowValue(inner, r);
    return out;
  }
  return v;
}


/** The fleet's commands (harmless ones, secrets, URLs). */
const COMMANDS = ["sh", "ls -la /app", "cat /etc/passwd", "ps aux", "env", "sh -c echo PASSWORD=hunter2 >/dev/null", "curl -s http://169.254.169.254/latest/meta-data/", "python manage.py migrate", "/bin/sh -c wget -q -O- http://localhost/ >/dev/null", "pg_isready -U postgres"];
/** Values and keys that break one of the shortcut's conditions or come close to it. */
const PIECES = ["web", "db-1", "a b", "x:y", "{[,]}", "token", "Bearer abc", "mysql -phunter2", "café", "snow \u2603", 'quote "', "back\\slash", "new\nline", "1", "42", "-1", "__proto__", "", "ok"];

/** Engine lines (API 1.41 and 1.52 shapes) of seeded random containers, commands and labels, some rewritten with escapes, blanks or cut. */
function generatedRecords(n: number): DockerEvent[] {
  const rand = prng(13);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const attributes: Record<string, string> = { "com.docker.compose.project": pick(["shop", "billing"]), "com.docker.compose.service": pick(["web", "api"]) };
    for (let k = Math.floor(rand() * 4); k > 0; k--) attributes[rand() < 0.3 ? pick(PIECES) : `label.${k}`] = rand() < 0.3 ? pick(PIECES) : pick(["blue", "green", "x"]);
    const action = rand() < 0.5 ? `exec_start: ${pick(COMMANDS)}` : pick(["start", "die", "health_status: healthy"]);
    const record = rawFromEngineLine(containerLine(action, attributes, `c${i.toString(16).padStart(11, "0")}`));
    let line = record.raw!;
    // Escapes JSON.stringify never writes but an engine line may hold: the same strings.
    if (rand() < 0.05) line = line.replaceAll("/", "\\/");
    if (rand() < 0.05) line = line.replaceAll("p", "\\u0070");
    if (rand() < 0.05) line = line.replaceAll("é", "\\u00e9");
    if (rand() < 0.2) line = line.replace(/"status":"[^"]*",|"id":"[^"]*",|"from":"[^"]*",/g, "");
    if (rand() < 0.05) line = line.replace(/,"/g, ', "').replace(/":/g, '" : ');
    if (rand() < 0.02) line = line.slice(0, -1);
    return { ...record, raw: line };
  });
}

/** The shortcut as fullLog takes it. */
const shortcut = (text: string, redactor: Redactor = DEFAULT_REDACTOR) => plainJsonToPython(text, redactor.leavesAlone(text) ? undefined : redactor);

/** Asserts that the shortcut, when it answers, answers what the slow path does; returns whether it answered. */
function sameAsSlow(text: string, redactor: Redactor = DEFAULT_REDACTOR): boolean {
  const fast = shortcut(text, redactor);
  if (fast === undefined) return false;
  assert.equal(fast, slowDocker(text, redactor), text);
  // With every string redacted, whether or not the line could need it.
  assert.equal(plainJsonToPython(text, redactor), fast, text);
  return true;
}

describe("full_log in one pass, without the lossless parse", () => {
  it("is the slow path's on every fixture line, and is taken for most", () => {
    const lines = fixtureLines(fixtures);
    let taken = 0;
    for (const line of lines) if (sameAsSlow(line)) taken += 1;
    assert.ok(lines.length > 50);
    assert.ok(taken > lines.length / 2, `${taken} of ${lines.length}`);
  });

  it("is the slow path's on seeded fleet-like records, and fullLog is too", () => {
    let taken = 0;
    const records = generatedRecords(3000);
    for (const r of records) {
      if (sameAsSlow(r.raw!)) taken += 1;
      const slow = slowDocker(r.raw!);
      if (slow === "invalid") assert.throws(() => fullLog(r), DecodeError);
      else assert.equal(fullLog(r), `{"integration": "docker", "docker": ${slow}}`);
    }
    assert.ok(taken > records.length / 4 && taken < records.length * 0.9, `${taken} of ${records.length}`);
  });

  it("is the slow path's with user patterns on those records", () => {
    const r = createRedactor(["(?i)label\\.[0-9]", "c0000000000[0-9a-f]", "ACME-[0-9A-F]{8}"]);
    let taken = 0;
    for (const record of generatedRecords(1000)) if (sameAsSlow(record.raw!, r)) taken += 1;
    assert.ok(taken > 250, `${taken} of 1000`);
  });

  const crafted: string[] = [
    "{}",
    "[]",
    '{"a":{},"b":[],"c":[{}],"d":[[]]}',
    ' \t\r\n{ "a" : 1 , "b" :\n[ 1 ,2, 3 ] }\n ',
    '{"a":"x y","b":"","":"empty key","c":"a:b,c{d}[e]"}',
    '{"n":[0,-0,1.5,-1.25e+10,2E-3,1e5,123456789012345678901234567890,1764000000202468988]}',
    '{"t":true,"f":false,"z":null}',
    '"just a string"',
    "12",
    "null",
    '{"Actor":{"Attributes":{"1":"index keys go first in a JS object","b":"2"}}}',
    '{"10":"a","2":"b"}',
    '{"__proto__":{"x":1},"a":1}',
    '{"a":1,"a":1}',
    '{"a":1,"a":2}',
    '{"a":{"b":1},"a":{"b":1}}',
    '{"a":"\\/","b":"\\u003c","c":"\\"quoted\\""}',
    '{"a":"\\u0070assword=hunter2"}',
    '{"a":"caf\u00e9","b":"\u2603","c":"\ud83d\ude00"}',
    '{"a":"\u007f"}',
    '{"password":"x"}',
    '{"cmd":"mysql -uroot -phunter2"}',
    "[".repeat(64) + "]".repeat(64),
    "[".repeat(100) + "]".repeat(100),
    "[".repeat(5000) + "]".repeat(5000),
    '{"url":"https://u:p@host"}',
    '{"password":{"inner":"x","n":1},"token":5,"secret":["a"],"api_key":null}',
    '{"password=a":1,"password=b":2}',
    '{"password=a":1,"password=[REDACTED]":2}',
    '{"a":"--password=hunter2 --token x","b":["Bearer abc","ok"],"Authorization: Basic xyz":"k"}',
    // Not JSON: the shortcut must decline, the slow path refuses.
    "",
    " ",
    "{",
    '{"a":1,}',
    "[1,]",
    '{"a" 1}',
    '{"a":01}',
    '{"a":1.}',
    '{"a":.5}',
    '{"a":-}',
    '{"a":1e}',
    '{"a":+1}',
    '{"a":tru}',
    '{"a":truex}',
    '{"a":nul}',
    '{"a":"unterminated}',
    '{"a":"tab\there"}',
    '{"a":1}}',
    '{"a":1} x',
    "{a:1}",
    "{'a':1}",
    '["a" "b"]',
    '{"a":[1 2]}',
    '{"a":1,"b"}',
    '{,"a":1}',
  ];

  it("is the slow path's on crafted texts, and declines every text the slow path refuses", () => {
    let taken = 0;
    for (const text of crafted) if (sameAsSlow(text)) taken += 1;
    assert.ok(taken > 10, `${taken}`);
    for (const text of crafted.slice(crafted.indexOf(""))) {
      assert.equal(plainJsonToPython(text), undefined, text);
      assert.equal(slowDocker(text), "invalid", text);
    }
  });

  it("rewrites compact JSON into Python's separators and declines escapes, non-ASCII, index keys, __proto__ and duplicates", () => {
    assert.equal(plainJsonToPython(' {"a" :1,"b":[1, 2],"c":{}} '), '{"a": 1, "b": [1, 2], "c": {}}');
    assert.equal(plainJsonToPython('{"n":1764000000202468988}'), '{"n": 1764000000202468988}');
    for (const text of ['{"a":"\\/"}', '{"a":"\u00e9"}', '{"1":"a"}', '{"__proto__":1}', '{"a":1,"a":1}', "[".repeat(65) + "]".repeat(65)]) {
      assert.equal(plainJsonToPython(text), undefined, text);
    }
    assert.notEqual(plainJsonToPython("[".repeat(64) + "]".repeat(64)), undefined);
  });

  it("masks with user patterns too", () => {
    const r = createRedactor(["ACME-[0-9A-F]{8}"]);
    const line = containerLine("start", { tag: "ACME-DEADBEEF" });
    assert.equal(r.leavesAlone(line), false);
    assert.match(fullLog(rawFromEngineLine(line), r), /"tag": "\[REDACTED\]"/);
    assert.equal(shortcut(line, r), slowDocker(line, r));
  });

  it("declines when redaction would merge two keys or make one an index or __proto__", () => {
    const r = createRedactor(["^x$", "^y(?<secret>.*)$"]);
    assert.equal(plainJsonToPython('{"password=a":1,"password=b":2}', DEFAULT_REDACTOR), undefined);
    assert.equal(plainJsonToPython('{"x":1,"[REDACTED]":2}', r), undefined);
    assert.notEqual(plainJsonToPython('{"x":1,"y":2}', r), undefined);
    assert.equal(plainJsonToPython('{"x":1,"y":2}', r), slowDocker('{"x":1,"y":2}', r));
  });

  it("keeps invalid raw lines a DecodeError", () => {
    const raw = { ...rawFromEngineLine(containerLine("start")), raw: '{"status":"start",' };
    assert.throws(() => fullLog(raw), DecodeError);
    assert.throws(() => decodeEvent(raw), DecodeError);
  });
});

describe("redactor.value, copied on write", () => {
  it("leaves alone exactly the keys that are no secret's name", () => {
    const words = ["password", "PASSWD", "Passphrase", "secret", "TOKEN", "api_key", "api-key", "APIKEY", "access_key", "accesskey", "private-key", "credential", "Credentials", "db_pwd", "x.pass", "-PASS"];
    for (const w of words) {
      for (const key of [w, `my_${w}_file`]) {
        if (DEFAULT_REDACTOR.isSecretKey(key)) assert.equal(DEFAULT_REDACTOR.leavesAlone(key), false, key);
        assert.equal(DEFAULT_REDACTOR.value({ [key]: "v" })[key], DEFAULT_REDACTOR.isSecretKey(key) ? MASK : "v", key);
      }
    }
  });

  it("returns what the full copy returns on seeded fleet-like records (event, raw line tree) and on crafted values, copying only what changes", () => {
    const values: unknown[] = generatedRecords(3000).flatMap((r) => [r.event, ...(slowDocker(r.raw!) === "invalid" ? [] : [parseLossless(r.raw!)])]);
    values.push(
      { a: ["x", { b: "Bearer abc" }], c: { d: "plain" } },
      { labels: { "com.example.db.password": "p", "com.example.team": "blue" } },
      { nested: [{ token: "t" }], after: ["a", "b"] },
      { list: ["ok", "--password=x", "ok"] },
      { "password=a": "1", "password=b": "2", plain: "3" },
      { n: 1n, b: Buffer.from("password"), d: new Date(0), s: "plain", u: undefined, z: null, t: true },
      parseLossless('{"a":1,"__proto__":{"x":1},"b":2}'),
      parseLossless('{"a":1,"__proto__":"s","b":2}'),
      "mysql -phunter2",
      ["plain", "https://u:p@h"],
    );
    let same = 0;
    for (const v of values) {
      const fast = DEFAULT_REDACTOR.value(v);
      // A `__proto__` key set the copy's prototype: an equal object, not the same one.
      if (!(v !== null && typeof v === "object" && Object.hasOwn(v, "__proto__"))) assert.deepEqual(fast, slowValue(v));
      assert.equal(pythonJsonDumps(fast), pythonJsonDumps(slowValue(v)));
      if (fast === v) same += 1;
    }
    assert.ok(same > 0 && same < values.length, `${same} of ${values.length} returned as they are`);
    const v = { keep: { a: "x" }, change: { b: "--token=t" } };
    const out = DEFAULT_REDACTOR.value(v);
    assert.equal(out.keep, v.keep);
    assert.notEqual(out.change, v.change);
    assert.equal(v.change.b, "--token=t");
  });

  it("masks the same with user patterns", () => {
    const r = createRedactor(["ssn=(?<secret>\\d{9})"]);
    const values = [{ cmd: "ssn=123456789", plain: "x" }, { plain: "x" }, ["ssn=123456789"], { "ssn=123456789": "k" }];
    for (const v of values) assert.deepEqual(r.value(v), slowValue(v, r));
    assert.deepEqual(r.value(values[0]), { cmd: `ssn=${MASK}`, plain: "x" });
  });
});
