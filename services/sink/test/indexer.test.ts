import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chunkBulk, indexUntilSettled, type BulkDoc, type ItemOutcome } from "../src/index.js";

const doc = (id: string, bytes = 10): BulkDoc => ({ index: "dockwatch-alerts-2025.01.01", id, source: JSON.stringify({ p: "x".repeat(bytes) }) });

class Refused extends Error {}

const base = {
  isRetryable: (err: unknown) => err instanceof Refused,
  maxDocs: 100,
  maxBytes: 1 << 20,
  policy: { initialMs: 1, maxMs: 2 },
  signal: new AbortController().signal,
};

describe("chunkBulk", () => {
  it("splits by document count and by NDJSON bytes; an oversized document goes alone", () => {
    const docs = ["a", "b", "c", "d", "e"].map((id) => doc(id));
    assert.deepEqual(chunkBulk(docs, 2, 1 << 20).map((c) => c.map((d) => d.id)), [["a", "b"], ["c", "d"], ["e"]]);
    // Each document is 68 bytes of NDJSON: action line (a create), source line, two newlines.
    const size = Buffer.byteLength(`{"create":{"_index":"dockwatch-alerts-2025.01.01","_id":"a"}}\n{"p":"xxxxxxxxxx"}\n`);
    assert.deepEqual(chunkBulk(docs, 100, size * 2).map((c) => c.length), [2, 2, 1]);
    assert.deepEqual(chunkBulk([doc("big", 5000), doc("small")], 100, 1000).map((c) => c.map((d) => d.id)), [["big"], ["small"]]);
  });
});

describe("indexUntilSettled", () => {
  it("sends again only the items that failed with a retryable status, and returns the rejected ones", async () => {
    const sent: string[][] = [];
    const answers: Record<string, ItemOutcome[]> = {
      "a,b,c,d": [
        { kind: "indexed" },
        { kind: "retry", status: 429, error: "es_rejected_execution_exception: queue full" },
        { kind: "reject", status: 400, error: "mapper_parsing_exception: failed to parse field [rule.level]" },
        { kind: "retry", status: 503, error: "unavailable_shards_exception: primary not active" },
      ],
      "b,d": [{ kind: "retry", status: 429, error: "queue full" }, { kind: "indexed" }],
      b: [{ kind: "indexed" }],
    };
    const { rejected } = await indexUntilSettled(["a", "b", "c", "d"].map((id) => doc(id)), {
      ...base,
      send: async (chunk) => {
        const key = chunk.map((d) => d.id).join(",");
        sent.push(chunk.map((d) => d.id));
        return answers[key]!;
      },
    });
    assert.deepEqual(sent, [["a", "b", "c", "d"], ["b", "d"], ["b"]]);
    assert.deepEqual(rejected.map((r) => [r.doc.id, r.status]), [["c", 400]]);
  });

  it("holds the whole batch while Elasticsearch is unreachable, then indexes it", async () => {
    let calls = 0;
    const events: string[] = [];
    const { rejected } = await indexUntilSettled([doc("a"), doc("b")], {
      ...base,
      send: async (chunk) => {
        calls += 1;
        if (calls <= 3) throw new Refused("connect ECONNREFUSED 127.0.0.1:9200");
        return chunk.map(() => ({ kind: "indexed" }) as const);
      },
      onUnavailable: () => events.push("down"),
      onAvailable: () => events.push("up"),
    });
    assert.equal(calls, 4);
    assert.deepEqual(rejected, []);
    assert.deepEqual(events, ["down", "up"], "one line when it goes, one when it is back");
  });

  it("holds the batch while the index refuses writes (closed, blocked), then indexes it; nothing is rejected", async () => {
    let calls = 0;
    const events: string[] = [];
    const { rejected } = await indexUntilSettled([doc("a"), doc("b")], {
      ...base,
      send: async (chunk) => {
        calls += 1;
        if (calls <= 4) {
          return chunk.map((d): ItemOutcome => (d.id === "a" ? { kind: "indexed" } : { kind: "hold", status: 400, error: "index_closed_exception: closed", code: "es-index-closed" }));
        }
        return chunk.map(() => ({ kind: "indexed" }) as const);
      },
      onUnavailable: (err) => events.push(`held ${(err as { code: string }).code}`),
      onAvailable: () => events.push("released"),
    });
    assert.deepEqual(rejected, []);
    assert.equal(calls, 5, "held as long as the index refuses, however many rounds");
    assert.deepEqual(events, ["held es-index-closed", "released"]);
  });

  it("retries a 5xx item up to itemRetryAttempts, then rejects it as es-item-failed; 429 has no limit", async () => {
    const sent: string[] = [];
    let throttled = 0;
    const { rejected } = await indexUntilSettled([doc("shard"), doc("busy")], {
      ...base,
      itemRetryAttempts: 3,
      send: async (chunk) => {
        sent.push(chunk.map((d) => d.id).join(","));
        return chunk.map((d) => {
          if (d.id === "shard") return { kind: "retry", status: 500, error: "shard failure", capped: true } as const;
          throttled += 1;
          return throttled <= 5 ? ({ kind: "retry", status: 429, error: "queue full", capped: false } as const) : ({ kind: "indexed" } as const);
        });
      },
    });
    assert.deepEqual(rejected.map((r) => [r.doc.id, r.reason, r.status]), [["shard", "es-item-failed", 500]]);
    assert.match(rejected[0]!.error, /after 3 attempts/);
    assert.equal(sent.filter((s) => s.includes("shard")).length, 3);
    assert.equal(throttled, 6, "the throttled item went on until it was indexed");
  });

  it("settles a create answered 409 as existing (never retried, never rejected) and reports the replaced ids of index ops", async () => {
    let calls = 0;
    const settled = await indexUntilSettled([doc("new"), doc("dup"), doc("replayed")], {
      ...base,
      send: async () => {
        calls += 1;
        return [
          { kind: "indexed", result: "created" },
          { kind: "exists", status: 409, error: "version_conflict_engine_exception: document already exists" },
          { kind: "indexed", result: "updated" },
        ];
      },
    });
    assert.equal(calls, 1);
    assert.deepEqual(settled.rejected, []);
    assert.deepEqual(settled.existing.map((d) => d.id), ["dup"]);
    assert.deepEqual(settled.replaced.map((d) => d.id), ["replayed"]);
  });

  it("throws a non-retryable failure of the whole request instead of looping", async () => {
    await assert.rejects(
      indexUntilSettled([doc("a")], { ...base, send: async () => Promise.reject(new Error("401 security_exception")) }),
      /401 security_exception/,
    );
  });

  it("gives the batch up when the signal is aborted (stop during an outage)", async () => {
    const stop = new AbortController();
    let calls = 0;
    const run = indexUntilSettled([doc("a")], {
      ...base,
      policy: { initialMs: 60_000, maxMs: 60_000 },
      signal: stop.signal,
      send: async () => {
        calls += 1;
        throw new Refused("connect ECONNREFUSED");
      },
    });
    setImmediate(() => stop.abort(new Error("the sink is stopping")));
    await assert.rejects(run, /the sink is stopping/);
    assert.equal(calls, 1, "no retry after the abort");
  });

  it("backs off with jitter under a cap", async () => {
    const { backoffDelay } = await import("@dockwatch/errors");
    const delays = [0, 1, 2, 10, 30].map((attempt) => [backoffDelay(attempt, { initialMs: 200, maxMs: 30_000 }, () => 0), backoffDelay(attempt, { initialMs: 200, maxMs: 30_000 }, () => 0.999)]);
    assert.deepEqual(delays.map(([lo]) => lo), [100, 200, 400, 15_000, 15_000]);
    assert.ok(delays.every(([lo, hi]) => hi! > lo! && hi! <= 30_000));
  });
});
