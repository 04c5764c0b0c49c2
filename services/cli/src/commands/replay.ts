import { randomUUID } from "node:crypto";
import type { Alert, DecodedEvent } from "@dockwatch/contracts";
import { REPLAY_HEADER, alertDocument } from "@dockwatch/contracts";
import { createPipelineClients } from "@dockwatch/kafka";
import { alertIndexSettings, identitySettings, kafkaSettings } from "@dockwatch/config";
import { alertingSettings, evaluate, loadRuleset, version, type AlertContext } from "@dockwatch/rule-engine";
import { createLogger, withComponents, type Component } from "@dockwatch/runtime";
import type { Message } from "kafkajs";
import { ReplayCursor, ReplayProgress, planReplay, type ReplayPlan } from "../replay/plan.js";

export interface ReplayOptions {
  since: Date;
  /** RULES_LOCAL_DIR for this run (default: the environment's). */
  localDir?: string;
  /** Evaluate and count, produce nothing. */
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Progress and summary lines (default: stderr). */
  write?: (line: string) => void;
}

export interface ReplayResult {
  plan: ReplayPlan;
  records: number;
  alerts: number;
  /** Alerts per rule id. */
  byRule: Map<string, number>;
  /** Records that gave no alert under the current ruleset. */
  silent: number;
  /** Records that are not DecodedEvent (counted, skipped). */
  undecodable: number;
  groupId: string;
}

/** Largest number of alerts sent in one produce request. */
const SEND_CHUNK = 500;

/**
 * Runs the current ruleset again over the decoded topic from `since`: reads
 * with a throw-away consumer group from the offsets at `since` up to the end
 * offsets captured at start, evaluates each event as the rules service does
 * (same deterministic alert ids) and produces to the alerts topic. Each
 * record carries REPLAY_HEADER (this run's id): the sink, which otherwise
 * only creates alerts and refuses a different document under an existing id,
 * replaces the indexed alert for these (an `index` operation) and logs every
 * id it replaced. The header is trustworthy because only the rules identity
 * may produce to `alerts` (the Kafka ACLs) and replay runs with the rules'
 * settings (kafkaSettings(env, "rules")), so its credentials. Frequency
 * (correlation) rules are not counted again: their windows live in Redis and
 * replaying would count the same events twice.
 */
export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const env: Record<string, string | undefined> = { KAFKA_CLIENT_ID: "dockwatch-replay", ...(opts.env ?? process.env), ...(opts.localDir ? { RULES_LOCAL_DIR: opts.localDir } : {}) };
  // The rules service's own settings (same variables, same readers).
  const config = { kafka: kafkaSettings(env, "rules"), identity: identitySettings(env), ...alertingSettings(env) };
  // Where the sink puts the replayed alerts (the same SINK_INDEX_PREFIX as the sink's).
  const { alias } = alertIndexSettings(env);
  const ruleset = loadRuleset(config.sources);
  const { topics } = config.kafka;
  const logger = createLogger("dockwatch-replay", env.LOG_LEVEL ?? "warn");
  const clients = createPipelineClients({
    settings: config.kafka,
    logger,
    writes: config.alertsFormat === "avro" && !opts.dryRun ? ["Alert"] : [],
    topics: [],
  });
  // The alert as the rules service builds it, stamped with this ruleset.
  const context = (): AlertContext => ({
    manager: config.identity.manager,
    cluster: config.identity.cluster,
    location: config.identity.location,
    version,
    ruleset: ruleset.hash,
    now: new Date(),
    utcOffsetMinutes: -new Date().getTimezoneOffset(),
  });
  const encode = (alert: Alert) =>
    config.alertsFormat === "avro" ? clients.codec.encode("Alert", alert) : Buffer.from(JSON.stringify(alertDocument(alert)));
  const groupId = `dockwatch-replay-${randomUUID()}`;
  const admin = clients.kafka.admin();
  const adminComponent: Component = { name: "admin", start: () => admin.connect(), stop: () => admin.disconnect() };
  const result: ReplayResult = { plan: { ranges: [], total: 0 }, records: 0, alerts: 0, byRule: new Map(), silent: 0, undecodable: 0, groupId };
  return withComponents([...clients.components, adminComponent], async () => {
    try {
      return await run();
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  });

  async function run(): Promise<ReplayResult> {
    if (!(await admin.listTopics()).includes(topics.decoded)) throw new Error(`topic ${topics.decoded} does not exist: nothing to replay`);
    // The end first: whatever arrives while we read belongs to the live pipeline.
    const ends = await admin.fetchTopicOffsets(topics.decoded);
    const starts = await admin.fetchTopicOffsetsByTimestamp(topics.decoded, opts.since.getTime());
    const plan = planReplay(starts, ends);
    result.plan = plan;
    write(
      `replay: ${plan.total} records of ${topics.decoded} since ${opts.since.toISOString()} through ruleset ${ruleset.hash} (${ruleset.rules.size} rules)` +
        (opts.dryRun ? ", dry run" : ` -> ${topics.alerts} (run ${groupId}: the sink replaces them in ${alias} and logs each id)`),
    );
    if (plan.total > 0) await consume(plan);
    write(summaryLine(result, opts.dryRun === true));
    return result;
  }

  async function consume(plan: ReplayPlan): Promise<void> {
    // A fresh group positioned at --since: nothing is shared with the live rules group.
    await admin.setOffsets({ groupId, topic: topics.decoded, partitions: plan.ranges.map((r) => ({ partition: r.partition, offset: r.start.toString() })) });
    const cursor = new ReplayCursor(plan);
    const progress = new ReplayProgress(plan.total, write);
    const consumer = clients.kafka.consumer({ groupId, allowAutoTopicCreation: false });
    let finish!: () => void;
    let fail!: (err: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topics.decoded, fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning }) => {
          try {
            const out: Message[] = [];
            let count = 0;
            for (const m of batch.messages) {
              if (!isRunning() || !cursor.inRange(batch.partition, m.offset)) break;
              count++;
              const alerts = await evaluateRecord(m.value);
              for (const alert of alerts) {
                out.push({ key: m.key, value: await encode(alert), headers: { [REPLAY_HEADER]: groupId } });
                result.byRule.set(alert.rule.id, (result.byRule.get(alert.rule.id) ?? 0) + 1);
              }
              if (cursor.done(batch.partition, m.offset)) {
                consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
                break;
              }
            }
            if (!opts.dryRun) {
              for (let i = 0; i < out.length; i += SEND_CHUNK) {
                await clients.producer.send({ topic: topics.alerts, acks: -1, messages: out.slice(i, i + SEND_CHUNK) });
                await heartbeat();
              }
            }
            result.records += count;
            result.alerts += out.length;
            progress.advance(count);
            if (cursor.finished) finish();
          } catch (err) {
            fail(err);
            throw err;
          }
        },
      });
      await finished;
    } finally {
      await consumer.disconnect();
    }
  }

  async function evaluateRecord(value: Buffer | null): Promise<Alert[]> {
    let event: DecodedEvent;
    try {
      event = await clients.codec.decode<DecodedEvent>("DecodedEvent", value ?? Buffer.alloc(0));
    } catch {
      result.undecodable++;
      return [];
    }
    const alerts = await evaluate(event, ruleset, {
      minLevel: config.minLevel,
      ctx: context(),
    });
    if (alerts.length === 0) result.silent++;
    return alerts;
  }
}

export function summaryLine(result: Pick<ReplayResult, "records" | "alerts" | "byRule" | "silent" | "undecodable">, dryRun: boolean): string {
  const rules = [...result.byRule.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, n]) => `${id}×${n}`)
    .join(" ");
  return (
    `replay: done, ${result.records} records, ${result.alerts} alerts ${dryRun ? "would be produced" : "produced"}` +
    (rules ? ` (${rules})` : "") +
    (result.silent ? `; ${result.silent} records give no alert now (alerts indexed earlier for them stay as they are)` : "") +
    (result.undecodable ? `; ${result.undecodable} records skipped: not a DecodedEvent` : "")
  );
}
