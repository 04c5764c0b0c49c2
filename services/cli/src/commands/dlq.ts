import { kafkaSettings } from "@dockwatch/config";
import { createKafka, createProducer } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { randomUUID } from "node:crypto";
import { describeLetter, readDeadLetter, redriveRecord, select, summarize, type DeadLetterView, type Selection } from "../dlq/letters.js";

export interface DlqOptions {
  env?: NodeJS.ProcessEnv;
  write?: (line: string) => void;
}

/**
 * Every dead letter in TOPIC_DLQ up to its end when the command starts, read
 * with a throw-away consumer group (deleted after): the services' groups and
 * the topic are not touched.
 */
export async function readDeadLetters(env: NodeJS.ProcessEnv = process.env): Promise<{ topic: string; letters: DeadLetterView[] }> {
  const settings = kafkaSettings(env, "cli");
  const topic = settings.topics.dlq;
  const kafka = createKafka(settings, createLogger("dockwatch-cli", "silent"), { retries: 2 });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `dockwatch-cli-dlq-${randomUUID().slice(0, 8)}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) return { topic, letters: [] };
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
    const remaining = new Set([...ends].filter(([, e]) => e.high > e.low).map(([p]) => p));
    const letters: DeadLetterView[] = [];
    if (remaining.size === 0) return { topic, letters };
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition)!.high;
          if (BigInt(message.offset) < end) letters.push(readDeadLetter(partition, message));
          if (BigInt(message.offset) >= end - 1n) {
            remaining.delete(partition);
            if (remaining.size === 0) done();
          }
        },
      });
      await finished;
    } finally {
      await consumer.disconnect();
    }
    letters.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    return { topic, letters };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** `dockwatch dlq`: counts by stage and reason, then the selected dead letters, one line each. */
export async function dlqList(sel: Selection & { limit?: number }, opts: DlqOptions = {}): Promise<number> {
  const write = opts.write ?? ((line) => process.stdout.write(`${line}\n`));
  const { topic, letters } = await readDeadLetters(opts.env);
  write(`${letters.length} dead letter(s) in ${topic}`);
  for (const { stage, reason, count } of summarize(letters)) write(`  ${String(count).padStart(7)}  ${stage.padEnd(8)} ${reason}`);
  const chosen = select(letters, sel);
  const limit = sel.limit ?? 50;
  if (chosen.length > 0) write(`partition@offset  stage  reason  source  failed at  error${chosen.length > limit ? ` (first ${limit} of ${chosen.length}; --limit)` : ""}`);
  for (const l of chosen.slice(0, limit)) write(describeLetter(l));
  return 0;
}

/**
 * `dockwatch dlq redrive`: produces the selected dead letters (original key,
 * bytes and headers) to the topic each came from, acks=all, for the stage to
 * try again after a fix. The dead letters stay in the DLQ (it is a log); the
 * re-driven records carry dockwatch.redriven.from.
 */
export async function dlqRedrive(sel: Selection & { dryRun?: boolean }, opts: DlqOptions = {}): Promise<number> {
  const write = opts.write ?? ((line) => process.stdout.write(`${line}\n`));
  if (sel.stage === undefined && sel.reason === undefined && (sel.positions ?? []).length === 0) {
    throw new Error("dlq redrive needs --stage, --reason or --offset to select what to re-drive");
  }
  const { topic, letters } = await readDeadLetters(opts.env);
  const chosen = select(letters, sel);
  const records = chosen.map((l) => redriveRecord(l, topic));
  const byTopic = new Map<string, number>();
  for (const r of records) byTopic.set(r.topic, (byTopic.get(r.topic) ?? 0) + 1);
  const summary = [...byTopic].map(([t, n]) => `${n} to ${t}`).join(", ") || "nothing";
  if (sel.dryRun || records.length === 0) {
    write(`dlq redrive: ${chosen.length} selected of ${letters.length}; would send ${summary}`);
    return 0;
  }
  const settings = kafkaSettings(opts.env ?? process.env, "cli");
  const producer = createProducer(createKafka(settings, createLogger("dockwatch-cli", "silent"), { retries: 2 }));
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 500) {
      const chunk = records.slice(i, i + 500);
      const topicMessages = [...new Set(chunk.map((r) => r.topic))].map((t) => ({ topic: t, messages: chunk.filter((r) => r.topic === t).map((r) => r.message) }));
      await producer.sendBatch({ acks: -1, topicMessages });
    }
  } finally {
    await producer.disconnect();
  }
  write(`dlq redrive: sent ${summary}`);
  return 0;
}
