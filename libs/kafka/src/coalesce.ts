// One round of work per fetch across partitions. kafkajs hands a fetch to
// the handler one partition batch at a time, and with partitions handled one
// after another each costs its own requests: six partitions, six produce
// requests (or `_bulk`s) of a sixth of the records each and six offset
// commits, one after the other, which is most of a stage's time at a steady
// 1,000 events/s (issue 13). Handled concurrently (partitionsConsumedConcurrently),
// the batches of one fetch reach the handler within the same turn of the
// event loop; coalesce() gathers the batches that arrive before the next turn
// into one round, runs the round as a whole (one produce, one `_bulk`, one
// commit request), and settles every batch of the round with the round's
// outcome. Each batch's consumer still commits only its own partition, and
// only after the round settled.

export interface Round<T> {
  /** The batches of the round, in arrival order. */
  batches: T[][];
  /** Aborted once every batch of the round was given up (the service stops, the partitions were revoked). */
  signal: AbortSignal;
}

/**
 * A handler of batches that runs `run` once per round: the batches that
 * arrive before the next event-loop turn. Rounds run one at a time, in order.
 * A round that fails fails each of its batches with the same error (the
 * batch consumer then retries each as usual; a retry joins a new round).
 */
export function coalesce<T>(run: (round: Round<T>) => Promise<void>): (batch: T[], signal: AbortSignal) => Promise<void> {
  let open: { batches: T[][]; signals: AbortSignal[]; settled: Promise<void> } | undefined;
  let previous: Promise<unknown> = Promise.resolve();
  return (batch, signal) => {
    if (!open) {
      const round: { batches: T[][]; signals: AbortSignal[]; settled: Promise<void> } = { batches: [], signals: [], settled: Promise.resolve() };
      const closed = new Promise<void>((resolve) => setImmediate(resolve));
      round.settled = Promise.all([closed, previous.catch(() => undefined)]).then(() => {
        if (open === round) open = undefined;
        return run({ batches: round.batches, signal: allAborted(round.signals) });
      });
      previous = round.settled;
      open = round;
    }
    open.batches.push(batch);
    open.signals.push(signal);
    return open.settled;
  };
}

/** A signal aborted when every one of `signals` is (with the last one's reason). */
function allAborted(signals: AbortSignal[]): AbortSignal {
  const all = new AbortController();
  const check = () => {
    if (signals.every((s) => s.aborted)) all.abort(signals[signals.length - 1]!.reason);
  };
  for (const s of signals) s.addEventListener("abort", check, { once: true });
  check();
  return all.signal;
}
