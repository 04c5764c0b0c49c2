import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "@dockwatch/config";
import { MASK, decodeEvent } from "@dockwatch/docker-event";
import { allStrings, containerLine, rawFromEngineLine } from "@dockwatch/docker-event/testing";
import { loadDecoderConfig } from "../src/index.js";

describe("REDACT_PATTERNS (user patterns, RE2 syntax)", () => {
  it("masks what a user pattern matches: its `secret` group, or the whole match", () => {
    const config = loadDecoderConfig({ REDACT_PATTERNS: JSON.stringify(["(?i)ssn=(?<secret>\\d{9})", "ACME-[0-9A-F]{8}"]) });
    const decoded = decodeEvent(rawFromEngineLine(containerLine("exec_start: report ssn=123456789 --license ACME-DEADBEEF")), config.redactor);
    const strings = [...allStrings(decoded), ...allStrings(JSON.parse(decoded.fullLog))];
    for (const s of strings) {
      assert.ok(!s.includes("123456789"), `user secret survived in ${s}`);
      assert.ok(!s.includes("ACME-DEADBEEF"), `license survived in ${s}`);
    }
    assert.equal(decoded.docker.Action, `exec_start: report ssn=${MASK} --license ${MASK}`);
  });

  it("stops with one line naming REDACT_PATTERNS when a pattern does not compile", () => {
    for (const bad of ['["(unclosed"]', '["(a)\\\\1"]', "not json", '["ok", 3]', '[""]']) {
      assert.throws(
        () => loadDecoderConfig({ REDACT_PATTERNS: bad }),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith("REDACT_PATTERNS: expected") && !err.message.includes("\n"),
        bad,
      );
    }
  });
});
