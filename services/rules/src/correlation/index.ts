// Correlation state shared by every rules instance, in Redis: frequency rules
// (N events of one group within a timeframe) and silent hosts (no heartbeat
// from an agent for a while). The rule engine codes against these interfaces.

export interface FrequencySpec {
  ruleId: string;
  frequency: number;
  timeframeMs: number;
  sameFields: string[];
}

export interface CorrelationHit {
  ruleId: string;
  groupKey: string;
  windowStartMs: number;
  count: number;
  correlationId: string;
}

export interface Correlator {
  // Records one event that matched the frequency rule's conditions; resolves a hit exactly once per (rule, group key, window) across all rules instances; a redelivered event (same eventId) never counts twice.
  observe(spec: FrequencySpec, groupKey: string, eventId: string, eventTimeMs: number): Promise<CorrelationHit | null>;
}

export * from "./window.js";
export * from "./redis.js";
export * from "./correlator.js";
export * from "./hosts.js";
export * from "./host-alert.js";
export * from "./settings.js";
export * from "./sweeper.js";
