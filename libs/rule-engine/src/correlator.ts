// What frequency rules need from correlation state: the rule engine codes
// against this interface; the rules service implements it on Redis (shared by
// every instance), logtest with an in-memory session.

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
  /**
   * Records one event that matched the frequency rule's conditions; resolves a
   * hit exactly once per (rule, group key, window) across all rules instances;
   * a redelivered event (same eventId) never counts twice. Rejects with a
   * retryable error (libs/errors) when the correlation state cannot be
   * reached: evaluate then degrades (the event's own alerts go out, marked
   * `dockwatch.correlation: "unavailable"`) instead of holding the pipeline.
   */
  observe(spec: FrequencySpec, groupKey: string, eventId: string, eventTimeMs: number): Promise<CorrelationHit | null>;
  /**
   * The same observations as that many observe() calls made one after
   * another in this order, but in one round trip (a Redis pipeline): a
   * Kafka batch's correlation costs one wait instead of one per event. One
   * outcome per observation, in order; a rejected one carries the error
   * observe() would have thrown. Optional: without it, evaluateEvents calls
   * observe() sequentially.
   */
  observeMany?(observations: Observation[]): Promise<Array<PromiseSettledResult<CorrelationHit | null>>>;
}

/** One observe() call's arguments. */
export interface Observation {
  spec: FrequencySpec;
  groupKey: string;
  eventId: string;
  eventTimeMs: number;
}
