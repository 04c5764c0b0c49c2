import { spawnSync } from "node:child_process";
import { alertIndexSettings, redactCredentials } from "@dockwatch/config";
import { infraLocal } from "../paths.js";
import { SERVICES, healthPorts } from "../services.js";
import { connectCliClients } from "./clients.js";
import { takeSnapshot } from "./summary.js";

/** Health of every component, lag per consumer group, alert count. Exit 1 if anything is down or degraded. */
export async function status(): Promise<number> {
  const { alias } = alertIndexSettings(process.env);
  const infra = spawnSync(infraLocal, ["status"], { encoding: "utf8" });
  // Every line below may quote a component's error (with the URL it tried): printed through the same redaction as the logs.
  const print = (text: string) => process.stdout.write(redactCredentials(text));
  print(infra.stdout);
  const clients = await connectCliClients();
  const snap = await takeSnapshot(clients.admin, clients.es, clients.topics, healthPorts(process.env), alias);
  for (const name of SERVICES) {
    const degraded = snap.degraded.get(name) ?? [];
    const reasons = snap.notReady.get(name);
    const state = snap.ready.get(name) ? "ready" : reasons ? `not ready${reasons.length ? `: ${reasons.join("; ")}` : ""}` : "not running";
    print(`${name.padEnd(14)} ${state}${degraded.length > 0 ? `, degraded: ${degraded.join("; ")}` : ""}\n`);
  }
  for (const { groupId, lag } of snap.lag) print(`${groupId.padEnd(18)} lag ${lag ?? "-"}\n`);
  print(`alerts         ${snap.alertCount ?? "-"} in ${alias}\n`);
  await clients.close();
  const allReady = SERVICES.every((s) => snap.ready.get(s));
  const anyDegraded = SERVICES.some((s) => (snap.degraded.get(s) ?? []).length > 0);
  return infra.status === 0 && allReady && !anyDegraded ? 0 : 1;
}
