/**
 * One service log line for a person: pino's JSON becomes
 * `12:00:01 INFO  decoder   | joined dockwatch-decoder: 6 partition(s)`;
 * anything else passes through as it is.
 */
export function formatLogLine(service: string, line: string): string {
  let time = "";
  let level = "";
  let msg = line;
  try {
    const entry = JSON.parse(line) as { time?: string; level?: string; msg?: string; err?: { message?: string } };
    if (typeof entry.msg === "string") {
      time = typeof entry.time === "string" ? entry.time.slice(11, 19) : "";
      level = (entry.level ?? "").toUpperCase();
      msg = entry.err?.message ? `${entry.msg}: ${entry.err.message}` : entry.msg;
    }
  } catch {
    // not JSON: print as is
  }
  return `${time ? `${time} ` : ""}${level ? level.padEnd(5) + " " : ""}${service.padEnd(9)} | ${msg}`;
}
