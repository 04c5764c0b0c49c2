/**
 * The MITRE ATT&CK techniques the shipped ruleset uses, with their names and
 * tactics (ATT&CK Enterprise, https://attack.mitre.org/techniques/<id>/), so an
 * alert carries rule.mitre.{id, tactic, technique} as Wazuh writes them. A rule
 * naming a technique missing here is a load error: add it with its name and
 * tactics from ATT&CK.
 */
export interface Technique {
  technique: string;
  tactics: string[];
}

export const MITRE_TECHNIQUES: Readonly<Record<string, Technique>> = {
  T1005: { technique: "Data from Local System", tactics: ["Collection"] },
  "T1059.004": { technique: "Unix Shell", tactics: ["Execution"] },
  "T1070.004": { technique: "File Deletion", tactics: ["Defense Evasion"] },
  T1485: { technique: "Data Destruction", tactics: ["Impact"] },
  T1496: { technique: "Resource Hijacking", tactics: ["Impact"] },
  T1525: { technique: "Implant Internal Image", tactics: ["Persistence"] },
  "T1561.001": { technique: "Disk Content Wipe", tactics: ["Impact"] },
  T1609: { technique: "Container Administration Command", tactics: ["Execution"] },
  T1610: { technique: "Deploy Container", tactics: ["Defense Evasion", "Execution"] },
  T1611: { technique: "Escape to Host", tactics: ["Privilege Escalation"] },
};

export interface AlertMitre {
  id: string[];
  tactic: string[];
  technique: string[];
}

/** Wazuh's rule.mitre: the ids, their technique names (same order) and their tactics (each once). */
export function mitreOf(ids: readonly string[]): AlertMitre {
  const tactic: string[] = [];
  const technique: string[] = [];
  for (const id of ids) {
    const t = MITRE_TECHNIQUES[id];
    if (!t) throw new Error(`MITRE technique ${id} is not in the engine's table (src/mitre.ts)`);
    technique.push(t.technique);
    for (const name of t.tactics) if (!tactic.includes(name)) tactic.push(name);
  }
  return { id: [...ids], tactic, technique };
}
