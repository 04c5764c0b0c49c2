// TypeScript shapes of the Avro records in schemas/. Dependency-free so every
// package can share them; avsc reads Avro longs as BigInt (see @dockwatch/codec).

// The record types are generated from schemas/*.avsc, the source of truth
// (scripts/generate-types.ts; the build fails when they are out of date).
import type { Alert } from "./types.generated.js";

export * from "./topology.js";
export * from "./checks.js";

export type * from "./types.generated.js";

/**
 * The alert as a JSON document (Elasticsearch, ALERTS_FORMAT=json): the seed's
 * keys, with compliance lists (and rule.mitre) only when the rule has them.
 */
export function alertDocument(alert: Alert): Record<string, unknown> {
  const { pci_dss, gdpr, hipaa, nist_800_53, tsc, mitre, ...rule } = alert.rule;
  const compliance: Record<string, unknown> = Object.fromEntries(
    Object.entries({ pci_dss, gdpr, hipaa, nist_800_53, tsc }).filter(([, list]) => list.length > 0),
  );
  if (mitre.id.length > 0) compliance.mitre = mitre;
  const { full_log, container, ...rest } = alert;
  return {
    ...rest,
    ...(container ? { container } : {}),
    rule: { ...rule, ...compliance },
    ...(full_log !== null ? { full_log } : {}),
    data: { integration: alert.data.integration, docker: dropNulls(alert.data.docker) },
  };
}

function dropNulls<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as Partial<T>;
}
