import { Client } from "@elastic/elasticsearch";
import { Kafka, logLevel } from "kafkajs";
import { spawnSync } from "node:child_process";
import { infraLocal } from "../paths.js";
import { SERVICES } from "../services.js";
import { takeSnapshot } from "./summary.js";

/** Health of every component, lag per consumer group, alert count. Exit 1 if anything is down. */
export async function status(): Promise<number> {
  const infra = spawnSync(infraLocal, ["status"], { encoding: "utf8" });
  process.stdout.write(infra.stdout);
  const kafka = new Kafka({ clientId: "dockwatch-cli", brokers: (process.env.KAFKA_BROKERS ?? "localhost:9092").split(","), logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  const admin = kafka.admin();
  const kafkaUp = await admin.connect().then(() => true, () => false);
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? "http://localhost:9200", maxRetries: 0, requestTimeout: 3000 });
  const snap = await takeSnapshot(kafkaUp ? admin : undefined, es);
  for (const name of SERVICES) process.stdout.write(`${name.padEnd(14)} ${snap.ready.get(name) ? "ready" : "not running"}\n`);
  for (const { groupId, lag } of snap.lag) process.stdout.write(`${groupId.padEnd(18)} lag ${lag ?? "-"}\n`);
  process.stdout.write(`alerts         ${snap.alertCount ?? "-"} in dockwatch-alerts\n`);
  if (kafkaUp) await admin.disconnect();
  await es.close();
  const allReady = SERVICES.every((s) => snap.ready.get(s));
  return infra.status === 0 && allReady ? 0 : 1;
}
