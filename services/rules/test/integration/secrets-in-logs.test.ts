import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { loadRulesConfig, startRules } from "../../src/index.js";
import { privateRedis, type PrivateRedis } from "./private-redis.js";

// No secret in any log line, /readyz or /metrics (issue 14): the rules service
// on the real Kafka and a Redis of the test's own that requires a password,
// given a wrong one. ioredis puts the failed AUTH/HELLO command, password
// included, on its error, and pino would write it as it is: before the fix
// the password was in the "redis unavailable" line.

const WRONG_PASSWORD = "Wr0ng-Rds-Pw-3k9";
const URL_PASSWORD = "Url-Rds-Pw-7m2";

describe("rules service: a wrong Redis password never reaches its logs, /readyz or /metrics", () => {
  const run = unique("rules-secrets");
  const dir = mkdtempSync(join(tmpdir(), "dockwatch-rules-secrets-"));
  const lines: string[] = [];
  let redis: PrivateRedis;
  let service: RunningService | undefined;

  before(async () => {
    redis = await privateRedis(["--save", "", "--appendonly", "no", "--requirepass", "the-right-one"], { password: "the-right-one" });
    await redis.start();
  });
  after(async () => {
    await service?.stop("test done");
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [what, env] of [
    ["REDIS_PASSWORD_FILE", (file: string) => ({ REDIS_URL: redis.url, REDIS_PASSWORD_FILE: file })],
    ["a password in REDIS_URL", () => ({ REDIS_URL: `redis://dockwatch-rules:${URL_PASSWORD}@127.0.0.1:${redis.port}` })],
  ] as const) {
    it(`with ${what}`, async () => {
      lines.length = 0;
      const file = join(dir, "redis-password");
      writeFileSync(file, `${WRONG_PASSWORD}\n`, { mode: 0o600 });
      const stream = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(...chunk.toString().split("\n").filter(Boolean));
          done();
        },
      });
      const logger = createLogger("rules", "debug", stream);
      const config = loadRulesConfig({
        ...infra.kafkaEnv,
        ...env(file),
        TOPIC_DECODED: `${run}.decoded`,
        TOPIC_ALERTS: `${run}.alerts`,
        TOPIC_DLQ: `${run}.dlq`,
        TOPIC_SCHEMAS: `${run}.schemas`,
        REDIS_KEY_PREFIX: `${run}:`,
        RULES_CONSUMER_GROUP: `${run}-rules`,
        HEALTH_PORT: "0",
      });
      service = await startRules(config, logger);
      // The client's own refusal, as the server sent it, must be in the log: the test sees the failure it is about.
      await waitFor("the WRONGPASS refusal in the log", async () => lines.some((l) => l.includes("WRONGPASS")), 30_000, 100);
      const base = `http://127.0.0.1:${service.healthPort}`;
      const answers = [await (await fetch(`${base}/readyz`)).text(), await (await fetch(`${base}/metrics`)).text()];
      await service.stop("test done");
      service = undefined;
      for (const text of [...lines, ...answers]) {
        for (const secret of [WRONG_PASSWORD, URL_PASSWORD]) assert.ok(!text.includes(secret), `${secret} in: ${text.slice(0, 400)}`);
      }
      const refusal = lines.find((l) => l.includes("WRONGPASS"))!;
      assert.match(refusal, /"args":\["\*\*\*"\]/, "the failed command is still logged, its arguments masked");
    });
  }
});
