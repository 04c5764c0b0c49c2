import { createRequire } from "node:module";
import { int, oneOf, optionalStr, parseEnv, type Env } from "@dockwatch/config";
import { SHIPPED_RULES_DIR, type RulesetSources } from "./ruleset.js";

/** The version stamped on every alert (`dockwatch.version`), the same for the service, logtest and replay. */
export const version = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/** How alerts are made and written, read once for every program that makes them (the rules service, replay). */
export interface AlertingSettings {
  sources: RulesetSources;
  /** ALERT_MIN_LEVEL: alerts below it are not emitted. */
  minLevel: number;
  /** ALERTS_FORMAT: Avro (the contract) or JSON for connectors that read JSON. */
  alertsFormat: "avro" | "json";
}

export function alertingSettings(env: Env): AlertingSettings {
  const v = parseEnv(
    {
      ALERT_MIN_LEVEL: int(3, 0, 15),
      ALERTS_FORMAT: oneOf(["avro", "json"] as const, "avro"),
      RULES_LOCAL_DIR: optionalStr(),
      RULES_SHIPPED_DIR: optionalStr(),
    },
    env,
  );
  return {
    sources: { shippedDir: v.RULES_SHIPPED_DIR || SHIPPED_RULES_DIR, ...(v.RULES_LOCAL_DIR ? { localDir: v.RULES_LOCAL_DIR } : {}) },
    minLevel: v.ALERT_MIN_LEVEL,
    alertsFormat: v.ALERTS_FORMAT,
  };
}
