import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MASK, decodeEvent } from "../src/index.js";
import { allStrings, rawFromEngineLine } from "../src/testing.js";

// Every fixture line decodes, and its Wazuh view, ECS fields and full_log are
// what the fixture side says: full_log from Python's json module
// (scripts/expected-full-log.py), event.type/category from the hand-written
// expected-ecs.json, the rest from the fixture line itself.

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../fixtures");
const expectedEcs = JSON.parse(readFileSync(join(fixtures, "expected-ecs.json"), "utf8")) as Record<
  string,
  { category: string[]; type: Record<string, string[]> }
>;
/** Typed into an exec command line by scripts/capture-fixtures.sh, so the real events carry a secret. */
const CAPTURED_SECRETS = ["hunter2"];
const mask = (s: string) => CAPTURED_SECRETS.reduce((acc, secret) => acc.replaceAll(secret, MASK), s);

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? fixtureFiles(join(dir, e.name)) : e.name.endsWith(".jsonl") ? [join(dir, e.name)] : [],
  );
}

interface Line {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
}

const files = fixtureFiles(fixtures);
const seen = { types: new Set<string>(), oldFormat: 0, newFormat: 0 };

for (const file of files) {
  const name = relative(fixtures, file);
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  const fullLogs = readFileSync(file.replace(/\.jsonl$/, ".full_log.txt"), "utf8").split("\n").filter(Boolean);

  describe(`fixture ${name}`, () => {
    it("has one expected full_log per event", () => assert.equal(fullLogs.length, lines.length));

    lines.forEach((line, i) => {
      const j = JSON.parse(line) as Line;
      seen.types.add(j.Type);
      if (j.status === undefined) seen.newFormat += 1;
      else seen.oldFormat += 1;
      const timeNano = /"timeNano":\s*(\d+)/.exec(line)![1]!;
      const time = /"time":\s*(\d+)/.exec(line)![1]!;

      it(`#${i + 1} ${j.Type} ${j.Action}`, () => {
        const d = decodeEvent(rawFromEngineLine(line));
        const attrs = j.Actor.Attributes;
        assert.deepEqual(d.docker, {
          status: mask(j.status ?? j.Action),
          id: j.id ?? j.Actor.ID,
          from: j.from ?? attrs.image ?? null,
          Type: j.Type,
          Action: mask(j.Action),
          Actor: { ID: j.Actor.ID, Attributes: attrs },
          scope: j.scope ?? null,
          time,
          timeNano,
        });
        assert.equal(d.fullLog, mask(fullLogs[i]!), "full_log as Python's json.dumps writes it, digits verbatim");
        assert.equal(d.timestamp, new Date(Number(BigInt(timeNano) / 1_000_000n)).toISOString());

        const ecs = expectedEcs[j.Type];
        const word = j.Action.split(":")[0]!;
        assert.ok(ecs?.type[word], `expected-ecs.json lists ${j.Type}/${word}`);
        assert.deepEqual(d.event, { action: mask(j.Action), category: ecs.category, type: ecs.type[word] });

        if (j.Type === "container") {
          // The only label the fixtures' containers carry (capture-fixtures.sh, handwritten lines).
          const labels = attrs["com.example.team"] ? { "com.example.team": attrs["com.example.team"] } : {};
          assert.deepEqual(d.container, { id: j.Actor.ID, name: attrs.name ?? null, imageName: attrs.image ?? null, labels, compose: null, kubernetes: null });
        } else if (attrs.container) {
          // A network or volume event concerns a container; without the collector's inventory only its id is known.
          assert.deepEqual(d.container, { id: attrs.container, name: attrs.container, imageName: null, labels: {}, compose: null, kubernetes: null });
        } else {
          assert.equal(d.container, null);
        }
        if (word.startsWith("exec_")) {
          const words = mask(j.Action).slice(word.length + 1).trim().split(/\s+/).filter(Boolean);
          assert.deepEqual(d.exec && { action: d.exec.action, command: d.exec.command, args: d.exec.args }, { action: word, command: words[0] ?? "", args: words.slice(1) });
        } else {
          assert.equal(d.exec, null);
        }
        for (const secret of CAPTURED_SECRETS) {
          for (const s of allStrings(d)) assert.ok(!s.includes(secret), `${secret} survived in ${s}`);
        }
      });
    });
  });
}

describe("fixture coverage", () => {
  it("covers every event type, in the old (status/id/from) and new (API >= 1.52) formats", () => {
    for (const type of ["container", "image", "volume", "network", "secret", "config", "service", "node", "plugin", "daemon"]) {
      assert.ok(seen.types.has(type), `no ${type} fixture`);
    }
    assert.ok(seen.oldFormat > 0 && seen.newFormat > 0);
  });
});
