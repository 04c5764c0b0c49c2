import { createRequire } from "node:module";
import type { Alert, DecodedEvent } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS, alertDocument } from "@dockwatch/contracts";
import {
  identitySettings,
  int,
  kafkaSettings,
  oneOf,
  optionalStr,
  parseEnv,
  runtimeSettings,
  str,
  type Env,
  type IdentitySettings,
  type KafkaSettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { createPipelineClients, createStage } from "@dockwatch/kafka";
import { Metrics, startService, type Logger, type RunningService } from "@dockwatch/runtime";
import type { AlertContext } from "./alert.js";
import {
  correlationSettings,
  createHostSweeper,
  createHostWatch,
  createRedis,
  createRedisCorrelator,
  heartbeatOf,
  hostAlertEvent,
  redisComponent,
  type CorrelationSettings,
  type HostTransition,
} from "./correlation/index.js";
import { chainAlerts, evaluate } from "./evaluate.js";
import { matchEvent } from "./engine/match.js";
import { createRulesetHolder } from "./reload.js";
import { SHIPPED_RULES_DIR } from "./ruleset.js";

export interface RulesConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  identity: IdentitySettings;
  correlation: CorrelationSettings;
  minLevel: number;
  alertsFormat: "avro" | "json";
  /** The shipped ruleset (RULES_SHIPPED_DIR, default services/rules/ruleset). */
  shippedDir: string;
  /** RULES_LOCAL_DIR: local rules, overrides and exceptions. */
  localDir?: string;
  /** dockwatch-rules unless RULES_CONSUMER_GROUP says otherwise (a second pipeline on one cluster, tests). */
  groupId: string;
}

export function loadRulesConfig(env: Env): RulesConfig {
  const v = parseEnv(
    {
      ALERT_MIN_LEVEL: int(3, 0, 15),
      ALERTS_FORMAT: oneOf(["avro", "json"] as const, "avro"),
      RULES_LOCAL_DIR: optionalStr(),
      RULES_SHIPPED_DIR: optionalStr(),
      RULES_CONSUMER_GROUP: str(GROUPS.rules),
    },
    env,
  );
  return {
    kafka: kafkaSettings(env, "rules"),
    runtime: runtimeSettings(env, HEALTH_PORTS.rules),
    identity: identitySettings(env),
    correlation: correlationSettings(env),
    minLevel: v.ALERT_MIN_LEVEL,
    alertsFormat: v.ALERTS_FORMAT,
    shippedDir: v.RULES_SHIPPED_DIR || SHIPPED_RULES_DIR,
    groupId: v.RULES_CONSUMER_GROUP,
    ...(v.RULES_LOCAL_DIR ? { localDir: v.RULES_LOCAL_DIR } : {}),
  };
}

export const version = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/**
 * docker.events.decoded -> rules -> alerts, as group dockwatch-rules, with
 * frequency correlation and silent hosts in Redis shared by every instance.
 */
export async function startRules(config: RulesConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_rules");
  const holder = createRulesetHolder({
    sources: { shippedDir: config.shippedDir, ...(config.localDir ? { localDir: config.localDir } : {}) },
    logger,
  });
  const clients = createPipelineClients({
    settings: config.kafka,
    logger,
    writes: config.alertsFormat === "avro" ? ["Alert"] : [],
    topics: [{ topic: topics.decoded }, { topic: topics.alerts }],
  });
  const redis = createRedis(config.correlation.redis, { logger, connectionName: "dockwatch-rules" });
  const correlator = createRedisCorrelator(redis, { keyPrefix: config.correlation.keyPrefix, graceMs: config.correlation.graceMs });
  const hosts = createHostWatch(redis, {
    keyPrefix: config.correlation.keyPrefix,
    silentAfterMs: config.correlation.silentHosts.afterMs,
    leaseMs: config.correlation.silentHosts.leaseMs,
  });
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
    config.alertsFormat === "avro" ? clients.codec.encode("Alert", alert) : Buffer.from(JSON.stringify(alertDocument(alert)));
  /** A host transition's alert, through the same chain as any event (rules 87950/87951). */
  const hostAlerts = (t: HostTransition) => {
    const event = hostAlertEvent(t);
    return chainAlerts(event, matchEvent(event, holder.current()), config.minLevel, context());
  };

  const stage = createStage<DecodedEvent, Alert>({
    kafka: clients.kafka,
    producer: clients.producer,
    groupId: config.groupId,
    inputTopic: topics.decoded,
    logger,
    metrics,
    logic: {
      stage: "rules",
      outputTopic: topics.alerts,
      dlqTopic: topics.dlq,
      decode: (bytes) => clients.codec.decode<DecodedEvent>("DecodedEvent", bytes),
      async transform(event, record) {
        const alerts = await evaluate(event, holder.current(), { minLevel: config.minLevel, ctx: context(), correlator });
        const heartbeat = heartbeatOf(event, Date.now());
        if (heartbeat) {
          const returned = await hosts.seen(heartbeat);
          if (returned) alerts.push(...hostAlerts(returned));
        }
        return alerts.map((alert) => ({ key: record.key, value: alert }));
      },
      encode,
    },
  });
  const sweeper = createHostSweeper({
    watch: hosts,
    intervalMs: config.correlation.silentHosts.checkIntervalMs,
    silentAfterMs: config.correlation.silentHosts.afterMs,
    logger,
    async emit(transitions) {
      const messages = transitions.flatMap((t) => hostAlerts(t).map((alert) => ({ key: t.agentId, value: encode(alert) })));
      if (messages.length > 0) await clients.producer.send({ topic: topics.alerts, acks: -1, messages });
    },
  });
  const ruleset = holder.current();
  logger.info(
    { ruleset: ruleset.hash, rules: ruleset.rules.size, files: ruleset.files, minLevel: config.minLevel, format: config.alertsFormat },
    "ruleset loaded",
  );
  return startService({
    name: "rules",
    logger,
    healthPort: config.runtime.healthPort,
    metrics,
    components: [holder, redisComponent(redis, logger), ...clients.components, stage, sweeper],
  });
}
