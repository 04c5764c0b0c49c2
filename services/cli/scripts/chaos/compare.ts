// Elasticsearch's state against the expected alerts of a scenario: pure.
import { logicalKey, type ExpectedAlert } from "./workload.js";

export interface IndexedDoc {
  _id: string;
  _index: string;
  doc: Parameters<typeof logicalKey>[0];
}

export interface Comparison {
  expected: number;
  /** Expected ids found in the alias. */
  indexed: number;
  missing: string[];
  /**
   * Extra copies: an id in two indices, or the same logical alert (source
   * event + rule) under two ids; each extra copy counts once.
   */
  duplicated: Array<{ key: string; ids: string[] }>;
  /** Alerts of this scenario's sources the expectation did not predict (rule id -> count). */
  unexpected: Record<string, number>;
}

export function compare(expected: Iterable<ExpectedAlert>, docs: IndexedDoc[]): Comparison {
  const want = new Map<string, ExpectedAlert>();
  for (const e of expected) want.set(e.id, e);
  const byId = new Map<string, IndexedDoc[]>();
  const byLogical = new Map<string, Set<string>>();
  for (const d of docs) {
    byId.set(d._id, [...(byId.get(d._id) ?? []), d]);
    const key = logicalKey(d.doc);
    byLogical.set(key, (byLogical.get(key) ?? new Set()).add(d._id));
  }
  const missing = [...want.keys()].filter((id) => !byId.has(id));
  const duplicated: Comparison["duplicated"] = [];
  for (const [id, copies] of byId) if (copies.length > 1) duplicated.push({ key: `id ${id}`, ids: copies.map((c) => `${c._index}/${c._id}`) });
  for (const [key, ids] of byLogical) if (ids.size > 1) duplicated.push({ key, ids: [...ids] });
  const unexpected: Record<string, number> = {};
  for (const [id, copies] of byId) {
    if (want.has(id)) continue;
    const rule = copies[0]!.doc.rule.id;
    unexpected[rule] = (unexpected[rule] ?? 0) + 1;
  }
  return { expected: want.size, indexed: want.size - missing.length, missing, duplicated, unexpected };
}
