import { alertIndexSettings, elasticsearchSettings, redactUrl } from "@dockwatch/config";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { formatLogLine } from "../format.js";
import { logsDir } from "../paths.js";
import { localDurabilityEnv, ownServiceEnv } from "../local-kafka.js";
import { SERVICES, healthPorts, spawnService, type ServiceName, type ServiceProcess } from "../services.js";
import { connectCliClients } from "./clients.js";
import { runInfraLocal } from "./infra.js";
import { renderSummary, takeSnapshot, type Snapshot } from "./summary.js";

export interface UpOptions {
  /** Skip provisioning (infra/local up): the infrastructure is already running. */
  noInfra: boolean;
  /** Live summary instead of log lines (default: when stdout is a terminal). */
  live: boolean;
}

/**
 * Provisions the local infrastructure, starts the four services (downstream
 * first) and stays in the foreground: a live summary on a terminal, plain log
 * lines otherwise. Ctrl-C stops the services cleanly; infrastructure stays.
 */
export async function up(opts: UpOptions): Promise<void> {
  // Validated before anything starts: the sink would stop on a bad SINK_INDEX_PREFIX anyway.
  const { alias } = alertIndexSettings(process.env);
  const ports = healthPorts(process.env);
  if (!opts.noInfra) await runInfraLocal("up");
  // The topics the services create must fit infra/local's one broker (unless KAFKA_BROKERS is another Kafka).
  const durability = localDurabilityEnv(process.env);
  mkdirSync(logsDir, { recursive: true });
  const logFiles = new Map<ServiceName, WriteStream>(SERVICES.map((s) => [s, createWriteStream(join(logsDir, `${s}.log`), { flags: "a" })]));
  const recent: string[] = [];
  const onLine = (service: ServiceName, line: string) => {
    logFiles.get(service)?.write(line + "\n");
    const text = formatLogLine(service, line);
    if (!opts.live) process.stdout.write(text + "\n");
    else if (/ (WARN|ERROR|FATAL) /.test(text)) {
      recent.push(text);
      recent.splice(0, recent.length - 5);
    }
  };

  const running: ServiceProcess[] = [];
  let stopping = false;
  const refresh: { timer?: NodeJS.Timeout } = {};
  const stopAll = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(refresh.timer);
    process.stdout.write(`\ndockwatch: stopping services (${why}); infrastructure keeps running (dockwatch down stops it)\n`);
    // All at once: no stage needs another one running to stop correctly. Each
    // commits its input only after what it made of it was acknowledged (acks=all
    // by Kafka, or indexed by Elasticsearch), and its stop finishes and commits
    // the batch in hand. A record an upstream stage produces while a downstream
    // one stops is not lost: it waits in the topic, past the downstream group's
    // committed offset, for the next start, and nothing is produced twice
    // because nothing acknowledged is left uncommitted. Stopping upstream first
    // never drained the topics either (a stop finishes the batch in hand, not
    // the lag); it only added up the four stop times.
    const codes = await Promise.all(running.map((service) => service.stop()));
    process.exit(codes.every((c) => c === 0) ? 0 : 1);
  };
  process.on("SIGINT", () => void stopAll("Ctrl-C"));
  process.on("SIGTERM", () => void stopAll("SIGTERM"));
  // A closed terminal must not orphan the services (they run in their own process group).
  process.on("SIGHUP", () => void stopAll("SIGHUP"));

  for (const name of [...SERVICES].reverse()) {
    process.stderr.write(`dockwatch: starting ${name}…\n`);
    // Its own principal when <SERVICE>_KAFKA_* (and the like) are set: ownServiceEnv.
    const service = spawnService(name, { env: { ...durability, ...ownServiceEnv(name, process.env) }, healthPort: ports[name], onLine });
    running.push(service);
    void service.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`dockwatch: ${name} exited (${String(code)}); see ${join(logsDir, `${name}.log`)}; stopping the others\n`);
        void stopAll(`${name} exited`);
      }
    });
    await service.waitReady();
  }
  // Printed on the terminal: never with the user:password ELASTICSEARCH_URL may carry.
  const esUrl = redactUrl(elasticsearchSettings(process.env).url);
  process.stdout.write(
    [
      "",
      "dockwatch is running: collector -> docker.events.raw -> decoder -> rules -> alerts -> sink -> Elasticsearch",
      "  try:     docker run -d --name apache $(cat infra/.local/busybox-image) sleep 300",
      `  alerts:  curl -s '${esUrl}/${alias}/_search?q=rule.id:87903&sort=timestamp:desc&pretty'`,
      "  watch:   npx dockwatch tail alerts",
      "  stop:    Ctrl-C (services); npx dockwatch down (everything)",
      "",
    ].join("\n") + "\n",
  );
  if (!opts.live) return;

  const clients = await connectCliClients(process.env, 5);
  let previous: Snapshot | undefined;
  const draw = async () => {
    const current = await takeSnapshot(clients.admin, clients.es, clients.topics, ports, alias);
    const screen = renderSummary(previous, current) + (recent.length ? `\n\nrecent warnings:\n${recent.join("\n")}` : "");
    previous = current;
    if (!stopping) process.stdout.write(`\x1b[2J\x1b[H${screen}\n`);
  };
  refresh.timer = setInterval(() => void draw(), 2000);
  await draw();
}
