// Correlation state shared by every rules instance, in Redis: frequency rules
// (N events of one group within a timeframe) and silent hosts (no heartbeat
// from an agent for a while). The rule engine codes against these interfaces.

export type { CorrelationHit, Correlator, FrequencySpec } from "@dockwatch/rule-engine";
export * from "./redis.js";
export * from "./correlator.js";
export * from "./hosts.js";
export * from "./settings.js";
export * from "./sweeper.js";
export * from "./availability.js";
export * from "./progress.js";
