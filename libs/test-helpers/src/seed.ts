import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface SeedAlert {
  /** "start" | "stop" | "pause" | "unpause" */
  action: string;
  document: Record<string, unknown> & {
    rule: { level: number; description: string; id: string; mail: boolean; groups: string[] };
    full_log: string;
    data: { integration: string; docker: Record<string, unknown> };
  };
  /** The engine's event inside full_log, as text (Python json.dumps style). */
  engineEventText: string;
}

/**
 * The four example alerts of the seed document (schemas/fixtures/seed, a
 * verbatim copy): the acceptance examples every stage is checked against.
 */
export function seedAlerts(): SeedAlert[] {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("@dockwatch/schemas/package.json"));
  const lines = readFileSync(join(dir, "fixtures/seed/docker-wodle-3.7.txt"), "utf8").split("\n");
  const alerts: SeedAlert[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "{") continue;
    // The copy lost its indentation, so a document ends at the first "}" line
    // after which the text parses.
    let end = i + 1;
    let document: SeedAlert["document"] | undefined;
    for (; end < lines.length && !document; end++) {
      if (lines[end] !== "}") continue;
      try {
        document = JSON.parse(lines.slice(i, end + 1).join("\n")) as SeedAlert["document"];
      } catch {
        // not the document's closing brace yet
      }
    }
    if (!document) throw new Error(`unterminated seed document at line ${i + 1}`);
    const prefix = '{"integration": "docker", "docker": ';
    if (!document.full_log.startsWith(prefix)) throw new Error("unexpected seed full_log");
    alerts.push({
      action: String(document.data.docker.Action),
      document,
      engineEventText: document.full_log.slice(prefix.length, -1),
    });
    i = end;
  }
  if (alerts.length !== 4) throw new Error(`expected the seed's 4 alerts, found ${alerts.length}`);
  return alerts;
}
