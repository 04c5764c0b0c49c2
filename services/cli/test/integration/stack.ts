// The four services as separate processes for one end-to-end test file: its
// own topics (schema store included), consumer groups, Redis prefix, collector
// state dir, Elasticsearch index prefix and free health ports, so it runs
// beside `npm start` (the topology's defaults) and other tests on the same
// Kafka, Redis and Elasticsearch. Searches go to its own alias only: the
// collector of a running `npm start` sees this test's containers too, and its
// alerts land in dockwatch-alerts-*.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@elastic/elasticsearch";
import { freePort, infra, waitFor } from "@dockwatch/test-helpers";
import { AssignerProtocol, Kafka, logLevel } from "kafkajs";
import { SERVICES, spawnService, type ServiceName, type ServiceProcess } from "../../src/index.js";

export interface AlertDoc {
  id: string;
  timestamp: string;
  rule: { level: number; description: string; id: string; groups: string[] };
  data: { docker: { Type: string; Action: string; id?: string; Actor: { ID: string; Attributes: Record<string, string> }; timeNano: string } };
  dockwatch?: { ruleset: string };
}

export interface StackOptions {
  run: string;
  /** Instances per service (default one each). */
  instances?: Partial<Record<ServiceName, number>>;
  env?: Record<string, string>;
}

export interface TestStack {
  env: Record<string, string>;
  services: ServiceProcess[];
  /** Every output line of every instance, `<service>#<n> | <line>`. */
  output: string[];
  es: Client;
  /** This stack's alias (SINK_INDEX_PREFIX): the only alerts its searches see. */
  alertsIndex: string;
  /** The last output lines, for a failure message. */
  tail(n?: number): string;
  /** Alerts in Elasticsearch whose `field` is one of `values` (refreshes first). */
  alertsWhere(field: string, values: string[], size?: number): Promise<Array<{ _id: string; _index: string; doc: AlertDoc }>>;
  stop(): Promise<void>;
}

export function stackEnv(run: string, stateDir: string): Record<string, string> {
  return {
    ...infra.kafkaEnv,
    TOPIC_RAW: `${run}.raw`,
    TOPIC_DECODED: `${run}.decoded`,
    TOPIC_ALERTS: `${run}.alerts`,
    TOPIC_DLQ: `${run}.dlq`,
    TOPIC_SCHEMAS: `${run}.schemas`,
    DECODER_CONSUMER_GROUP: `${run}-decoder`,
    RULES_CONSUMER_GROUP: `${run}-rules`,
    SINK_CONSUMER_GROUP: `${run}-sink`,
    REDIS_KEY_PREFIX: `${run}:`,
    // Its own daily indices, template and alias (never dockwatch-alerts-…, whose template would overlap).
    SINK_INDEX_PREFIX: `${run.toLowerCase()}-alerts`,
    // Its own checkpoint: a fresh collector starts at "now" instead of replaying another run's history.
    COLLECTOR_STATE_DIR: stateDir,
  };
}

/** Starts sink, rules, decoder, collector (downstream first), each instance ready before the next. */
export async function startStack(opts: StackOptions): Promise<TestStack> {
  const stateDir = mkdtempSync(join(tmpdir(), `${opts.run}-collector-`));
  const env = { ...stackEnv(opts.run, stateDir), ...opts.env };
  const es = new Client({ node: infra.elasticsearchUrl });
  const alertsIndex = env.SINK_INDEX_PREFIX!;
  const services: ServiceProcess[] = [];
  const output: string[] = [];
  const tail = (n = 40) => output.slice(-n).join("\n");
  const stack: TestStack = {
    env,
    services,
    output,
    es,
    alertsIndex,
    tail,
    async alertsWhere(field, values, size = 500) {
      // Before the sink's first alert the alias does not exist yet: no hits, not an error.
      await es.indices.refresh({ index: alertsIndex, ignore_unavailable: true, allow_no_indices: true });
      const res = await es.search({ index: alertsIndex, ignore_unavailable: true, allow_no_indices: true, size, query: { bool: { filter: [{ terms: { [field]: values } }] } } });
      return res.hits.hits.map((h) => ({ _id: h._id!, _index: h._index, doc: h._source as AlertDoc }));
    },
    async stop() {
      // All at once, as dockwatch up does (see its stopAll for why that is safe).
      await Promise.all(services.map((s) => s.stop()));
      // Its indices and template go with it (ids of its events never reach another prefix).
      await es.indices.delete({ index: `${alertsIndex}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
      await es.indices.deleteIndexTemplate({ name: alertsIndex }).catch(() => undefined);
      await es.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  try {
    for (const name of [...SERVICES].reverse()) {
      for (let i = 0; i < (opts.instances?.[name] ?? 1); i++) {
        // A port free now, not 9481-9484: a running `npm start` holds those.
        const s = spawnService(name, { env, healthPort: await freePort(), onLine: (svc, line) => output.push(`${svc}#${i} | ${line}`) });
        services.push(s);
        await s.waitReady();
      }
    }
  } catch (err) {
    await stack.stop();
    throw new Error(`${(err as Error).message}\n${tail()}`);
  }
  return stack;
}

/** Members of a consumer group and the partitions each one holds, as the broker sees them. */
export async function groupMembers(groupId: string): Promise<Array<{ memberId: string; partitions: number[] }>> {
  const kafka = new Kafka({ clientId: "stack-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (!group || group.state !== "Stable") return [];
    return group.members.map((m) => {
      const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      return { memberId: m.memberId, partitions: Object.values(assignment?.assignment ?? {}).flat() };
    });
  } finally {
    await admin.disconnect();
  }
}

/** Waits until `groupId` is stable with `count` members that each hold at least one partition. */
export function waitForMembers(groupId: string, count: number, timeoutMs = 60_000) {
  return waitFor(
    `${count} members in ${groupId}`,
    async () => {
      const members = await groupMembers(groupId);
      return members.length === count && members.every((m) => m.partitions.length > 0) ? members : undefined;
    },
    timeoutMs,
    500,
  );
}
