import type { Alert, CorrelationState, DecodedEvent } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS, alertDocument } from "@dockwatch/contracts";
import {
  duration,
  identitySettings,
  int,
  kafkaSettings,
  parseEnv,
  runtimeSettings,
  str,
  type Env,
  type IdentitySettings,
  type KafkaSettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { STAGE_CONCURRENCY, STAGE_LINGER, createPipelineClients, createSessionProducer, createStage, type SourceRecord } from "@dockwatch/kafka";
import { Metrics, startService, type Logger, type RunningService } from "@dockwatch/runtime";
import { randomUUID } from "node:crypto";
import { isRetryable } from "@dockwatch/errors";
import { alertingSettings, chainAlerts, eventTimeMs, evaluateEvent, evaluateEvents, heartbeatOf, hostAlertEvent, matchEvent, version, type AlertContext, type AlertingSettings, type Heartbeat, type HostTransition } from "@dockwatch/rule-engine";
import {
  correlationSettings,
  createHostSweeper,
  createHostWatch,
  createPipelineProgress,
  createRedis,
  createRedisCorrelator,
  redisComponent,
  trackAvailability,
  whenAvailable,
  type CorrelationSettings,
} from "./correlation/index.js";
import { createRulesetHolder } from "./reload.js";

export interface RulesConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  identity: IdentitySettings;
  correlation: CorrelationSettings;
  /** The ruleset's sources (RULES_SHIPPED_DIR, RULES_LOCAL_DIR), ALERT_MIN_LEVEL, ALERTS_FORMAT. */
  alerting: AlertingSettings;
  /** dockwatch-rules unless RULES_CONSUMER_GROUP says otherwise (a second pipeline on one cluster, tests). */
  groupId: string;
  /** RULES_CONCURRENCY: partition batches of one fetch evaluated and produced as one round. */
  concurrency: number;
  /** RULES_FETCH_PARTITION_BYTES: a partition's share of one fetch (memory against requests per record). */
  fetchPartitionBytes: number;
  /** RULES_LINGER: the shortest time from one round to the next fetch, so a trickle of events shares rounds. */
  lingerMs: number;
}

export function loadRulesConfig(env: Env): RulesConfig {
  const v = parseEnv(
    {
      RULES_CONSUMER_GROUP: str(GROUPS.rules),
      RULES_CONCURRENCY: int(STAGE_CONCURRENCY, 1, 64),
      RULES_FETCH_PARTITION_BYTES: int(1_048_576, 16_384, 104_857_600),
      RULES_LINGER: duration(STAGE_LINGER),
    },
    env,
  );
  return {
    kafka: kafkaSettings(env, "rules"),
    runtime: runtimeSettings(env, HEALTH_PORTS.rules),
    identity: identitySettings(env),
    correlation: correlationSettings(env),
    alerting: alertingSettings(env),
    groupId: v.RULES_CONSUMER_GROUP,
    concurrency: v.RULES_CONCURRENCY,
    fetchPartitionBytes: v.RULES_FETCH_PARTITION_BYTES,
    lingerMs: v.RULES_LINGER,
  };
}

/**
 * docker.events.decoded -> rules -> alerts, as group dockwatch-rules, with
 * frequency correlation and silent hosts in Redis shared by every instance.
 */
export async function startRules(config: RulesConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_rules");
  const holder = createRulesetHolder({
    sources: config.alerting.sources,
    logger,
    metrics,
  });
  const clients = createPipelineClients({
    settings: config.kafka,
    logger,
    writes: config.alerting.alertsFormat === "avro" ? ["Alert"] : [],
    topics: [{ topic: topics.decoded }, { topic: topics.alerts }],
  });
  const redis = createRedis(config.correlation.redis, { logger, connectionName: "dockwatch-rules" });
  const availability = trackAvailability(redis, { metrics, logger });
  const correlator = whenAvailable(
    createRedisCorrelator(redis, { keyPrefix: config.correlation.keyPrefix, graceMs: config.correlation.graceMs, firedTtlMs: config.correlation.firedTtlMs }),
    availability,
  );
  const hosts = createHostWatch(redis, {
    keyPrefix: config.correlation.keyPrefix,
    silentAfterMs: config.correlation.silentHosts.afterMs,
    leaseMs: config.correlation.silentHosts.leaseMs,
  });
  // The pipeline's watermark for silent hosts: how far this instance has processed, in event time.
  const progress = createPipelineProgress({ staleAfterMs: Math.max(30_000, 2 * config.correlation.silentHosts.checkIntervalMs) });
  const context = (): AlertContext => ({
    manager: config.identity.manager,
    cluster: config.identity.cluster,
    location: config.identity.location,
    version,
    ruleset: holder.current().hash,
    now: new Date(),
    utcOffsetMinutes: -new Date().getTimezoneOffset(),
  });
  const encode = (alert: Alert) =>
    config.alerting.alertsFormat === "avro" ? clients.codec.encode("Alert", alert) : Buffer.from(JSON.stringify(alertDocument(alert)));
  /** A host transition's alert, through the same chain as any event (rules 87950/87951). */
  const hostAlerts = (t: HostTransition) => {
    const event = hostAlertEvent(t);
    return chainAlerts(event, matchEvent(event, holder.current()), config.alerting.minLevel, context());
  };

  /**
   * Records a heartbeat; with Redis unreachable it is skipped (not retried):
   * a heartbeat only refreshes last-seen, and the sweeper waits a full
   * SILENT_HOST_AFTER after Redis is back before judging anyone silent.
   */
  const hostSeen = async (heartbeat: Heartbeat): Promise<HostTransition | null> => {
    try {
      return await availability.guard(() => hosts.seen(heartbeat));
    } catch (err) {
      if (!isRetryable(err)) throw err;
      availability.skippedHeartbeat();
      return null;
    }
  };

  /** What follows an event's evaluation: the correlation-skip count and its heartbeat (a returned host's alert), then its alerts as records. */
  const afterEvaluation = async (event: DecodedEvent, record: SourceRecord, alerts: Alert[], correlation: CorrelationState) => {
    if (correlation === "unavailable") availability.skippedCorrelation();
    const heartbeat = heartbeatOf(event, Date.now());
    if (heartbeat) {
      const returned = await hostSeen(heartbeat);
      if (returned) alerts.push(...hostAlerts(returned));
    }
    return alerts.map((alert) => ({ key: record.key, value: alert }));
  };

  // Alerts go out through a session renewed after the broker refused a record (kafkajs's idempotent session is then out of step).
  const output = createSessionProducer(clients.kafka, logger);
  const stage = createStage<DecodedEvent, Alert>({
    kafka: clients.kafka,
    producer: output,
    groupId: config.groupId,
    inputTopic: topics.decoded,
    partitionsConsumedConcurrently: config.concurrency,
    fetchPartitionBytes: config.fetchPartitionBytes,
    lingerMs: config.lingerMs,
    logger,
    metrics,
    logic: {
      stage: "rules",
      outputTopic: topics.alerts,
      dlqTopic: topics.dlq,
      decode: (bytes) => clients.codec.decode<DecodedEvent>("DecodedEvent", bytes),
      async transform(event, record) {
        progress.processed(record.partition, eventTimeMs(event));
        const { alerts, correlation } = await evaluateEvent(event, holder.current(), { minLevel: config.alerting.minLevel, ctx: context(), correlator });
        return afterEvaluation(event, record, alerts, correlation);
      },
      // The stage's path: the batch's frequency-rule counting in one Redis
      // pipeline (evaluateEvents, observeMany), not one round trip per event.
      async transformBatch(items) {
        for (const { input, record } of items) progress.processed(record.partition, eventTimeMs(input));
        const evaluations = await evaluateEvents(
          items.map((i) => i.input),
          holder.current(),
          { minLevel: config.alerting.minLevel, ctx: context(), correlator },
        );
        const out: Array<Array<{ key: Buffer | null; value: Alert }> | { error: unknown }> = [];
        for (let i = 0; i < items.length; i++) {
          const evaluation = evaluations[i]!;
          const { input, record } = items[i]!;
          out.push("error" in evaluation ? evaluation : await afterEvaluation(input, record, evaluation.alerts, evaluation.correlation));
        }
        return out;
      },
      encode,
    },
  });
  const { consumer } = stage;
  consumer.on(consumer.events.FETCH, () => progress.fetched());
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => progress.batchStarted(payload.partition));
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => progress.batchEnded(payload.partition, payload.offsetLag));
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => progress.assigned(payload.memberAssignment[topics.decoded] ?? []));
  const sweeper = createHostSweeper({
    watch: hosts,
    intervalMs: config.correlation.silentHosts.checkIntervalMs,
    silentAfterMs: config.correlation.silentHosts.afterMs,
    availableSinceMs: availability.availableSinceMs,
    watermarkMs: progress.watermarkMs,
    behind: progress.behind,
    instanceId: `${config.groupId}:${randomUUID()}`,
    logger,
    async emit(transitions) {
      const messages = transitions.flatMap((t) => hostAlerts(t).map((alert) => ({ key: t.agentId, value: encode(alert) })));
      if (messages.length > 0) await output.sendBatch({ acks: -1, topicMessages: [{ topic: topics.alerts, messages }] });
    },
  });
  const ruleset = holder.current();
  logger.info(
    { ruleset: ruleset.hash, rules: ruleset.rules.size, files: ruleset.files, minLevel: config.alerting.minLevel, format: config.alerting.alertsFormat },
    "ruleset loaded",
  );
  return startService({
    name: "rules",
    logger,
    healthPort: config.runtime.healthPort,
    healthHost: config.runtime.healthHost,
    metrics,
    components: [holder, redisComponent(redis, logger, { required: false }), ...clients.components, output, stage, sweeper],
  });
}
