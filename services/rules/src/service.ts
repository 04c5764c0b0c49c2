import { createRequire } from "node:module";
import type { Alert, DecodedEvent } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS, alertDocument } from "@dockwatch/contracts";
import {
  identitySettings,
  int,
  kafkaSettings,
  oneOf,
  parseEnv,
  runtimeSettings,
  type Env,
  type IdentitySettings,
  type KafkaSettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { createPipelineClients, createStage } from "@dockwatch/kafka";
import { Metrics, startService, type Logger, type RunningService } from "@dockwatch/runtime";
import { buildAlert, type AlertContext } from "./alert.js";
import { SKELETON_RULES, matchRules, rulesetHash, type Rule } from "./ruleset.js";

export interface RulesConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  identity: IdentitySettings;
  minLevel: number;
  alertsFormat: "avro" | "json";
}

export function loadRulesConfig(env: Env): RulesConfig {
  const v = parseEnv({ ALERT_MIN_LEVEL: int(3, 0, 15), ALERTS_FORMAT: oneOf(["avro", "json"] as const, "avro") }, env);
  return {
    kafka: kafkaSettings(env, "rules"),
    runtime: runtimeSettings(env, HEALTH_PORTS.rules),
    identity: identitySettings(env),
    minLevel: v.ALERT_MIN_LEVEL,
    alertsFormat: v.ALERTS_FORMAT,
  };
}

const version = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/** decoded event -> at most one alert from the rule chain, at or above the minimum level. */
export function evaluate(event: DecodedEvent, rules: Rule[], minLevel: number, ctx: AlertContext): Alert[] {
  const rule = matchRules(event, rules);
  if (!rule || rule.level === 0 || rule.level < minLevel) return [];
  return [buildAlert(event, rule, ctx)];
}

/** docker.events.decoded -> rules -> alerts, as group dockwatch-rules. */
export function startRules(config: RulesConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_rules");
  const rules = SKELETON_RULES;
  const ruleset = rulesetHash(rules);
  const clients = createPipelineClients({
    settings: config.kafka,
    logger,
    writes: config.alertsFormat === "avro" ? ["Alert"] : [],
    topics: [{ topic: topics.decoded }, { topic: topics.alerts }],
  });
  const context = (): AlertContext => ({
    manager: config.identity.manager,
    cluster: config.identity.cluster,
    location: config.identity.location,
    version,
    ruleset,
    now: new Date(),
    utcOffsetMinutes: -new Date().getTimezoneOffset(),
  });
  const stage = createStage<DecodedEvent, Alert>({
    kafka: clients.kafka,
    producer: clients.producer,
    groupId: GROUPS.rules,
    inputTopic: topics.decoded,
    logger,
    metrics,
    logic: {
      stage: "rules",
      outputTopic: topics.alerts,
      dlqTopic: topics.dlq,
      decode: (bytes) => clients.codec.decode<DecodedEvent>("DecodedEvent", bytes),
      transform: (event, record) =>
        evaluate(event, rules, config.minLevel, context()).map((alert) => ({ key: record.key, value: alert })),
      encode: (alert) =>
        config.alertsFormat === "avro" ? clients.codec.encode("Alert", alert) : Buffer.from(JSON.stringify(alertDocument(alert))),
    },
  });
  logger.info({ ruleset, rules: rules.length, minLevel: config.minLevel, format: config.alertsFormat }, "ruleset loaded");
  return startService({ name: "rules", logger, healthPort: config.runtime.healthPort, metrics, components: [...clients.components, stage] });
}
