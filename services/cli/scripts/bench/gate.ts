// The input of a stage or pipeline phase, held back until every instance
// of the phase holds its partitions.
//
// On a pre-filled topic the first instance to join works alone until the
// others have joined: their join waits for it to rejoin, which it does
// between rounds. On 40,000 records it could be nearly done by then (in one
// run sink#1 spent no CPU at all after it was ready), and the ×N row measured
// one instance. Even alone, an instance was busy before the bench saw it
// ready, so its "RSS at ready" held a round of records. So the source's
// records are copied, unmeasured, to a fresh topic inside one Kafka
// transaction left open. The services read committed records only (kafkajs's
// default isolation level), so they see none of them until the bench commits
// it, once every group of the phase is stable with all its members. Then the
// whole input appears at once, as a pre-filled topic would, and the copy
// costs nothing inside the measured window.
import { chunkBySize } from "@dockwatch/runtime";
import type { Admin, Kafka, Transaction } from "kafkajs";
import { readTopic } from "./measure.js";

export interface HeldInput {
  topic: string;
  /**
   * Records copied. A drained phase has committed exactly this many: the
   * transaction's commit marker takes one offset more in each partition,
   * which kafkajs skips and a stage never commits past.
   */
  records: number;
  /** Commits the copy once each group is stable with its members (throws past the timeout, the copy aborted). */
  release(groups: Array<{ groupId: string; members: number }>, timeoutMs: number): Promise<void>;
  /** Aborts the copy if it was not released (a phase that failed before). */
  abort(): Promise<void>;
}

/** One send of the copy, in bytes: under the broker's 1 MiB message.max.bytes even when it all goes to one partition. */
const COPY_SEND_BYTES = 800_000;

export async function holdInput(kafka: Kafka, admin: Admin, source: string, target: string, transactionalId: string): Promise<HeldInput> {
  const records = await readTopic(kafka, source, `${transactionalId}-read`, true);
  // The broker caps a transaction at transaction.max.timeout.ms (15 min by default); a phase's instances are ready in well under 5.
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 300_000 });
  await producer.connect();
  let tx: Transaction | undefined;
  try {
    tx = await producer.transaction();
    const size = (r: (typeof records)[number]) => 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
    for (const chunk of chunkBySize(records, size, COPY_SEND_BYTES)) {
      await tx.send({ topic: target, acks: -1, messages: chunk.map((r) => ({ partition: r.partition, key: r.key, value: r.value, headers: r.headers ?? {} })) });
    }
  } catch (err) {
    await tx?.abort().catch(() => undefined);
    await producer.disconnect();
    throw err;
  }
  let open = true;
  const finish = async (how: "commit" | "abort") => {
    if (!open) return;
    open = false;
    try {
      await (how === "commit" ? tx!.commit() : tx!.abort());
    } finally {
      await producer.disconnect();
    }
  };
  return {
    topic: target,
    records: records.length,
    async release(groups, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { groups: described } = await admin.describeGroups(groups.map((g) => g.groupId));
        const waiting = groups.filter((g) => {
          const d = described.find((x) => x.groupId === g.groupId);
          return d?.state !== "Stable" || d.members.length !== g.members;
        });
        if (waiting.length === 0) break;
        if (Date.now() > deadline) {
          await finish("abort");
          const state = waiting.map((g) => `${g.groupId}: ${described.find((x) => x.groupId === g.groupId)?.members.length ?? 0} of ${g.members} members`).join(", ");
          throw new Error(`the held input of ${target} was not released: groups not stable within ${timeoutMs / 1000} s (${state})`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      await finish("commit");
    },
    abort: () => finish("abort"),
  };
}
