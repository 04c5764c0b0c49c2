#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { redactCredentials } from "@dockwatch/config";
import { dlqList, dlqRedrive } from "./commands/dlq.js";
import { down, upPidFile } from "./commands/down.js";
import { replay } from "./commands/replay.js";
import { runRulesCommand } from "./commands/rules.js";
import { status } from "./commands/status.js";
import { tail } from "./commands/tail.js";
import { up } from "./commands/up.js";
import { ReplayUsageError, parseSince } from "./replay/plan.js";

const HELP: Record<string, string> = {
  "": `usage: dockwatch <command> [options]

commands:
  up        provision the local infrastructure and run the four services in the foreground
  status    health of every component, consumer lag per group, alert count
  tail      print a topic's records as JSON lines (Avro decoded)
  logtest   run engine or decoded events through the rules and show the chain and the alert
  rules     rules check [DIR]: validate the shipped ruleset plus a local rules directory
  replay    run the current rules again over the decoded events since a time
  dlq       list dead letters by stage and reason; re-drive selected ones to their source topic
  down      stop the services and the local infrastructure

dockwatch <command> --help for its options.`,
  up: `usage: dockwatch up [--no-infra] [--plain]

Provisions Kafka, Elasticsearch, Redis and dockerd (infra/local up) unless
--no-infra, then starts sink, rules, decoder and collector and stays in the
foreground. On a terminal it shows a live summary (events/s per stage,
consumer lag, latest alerts); otherwise, or with --plain, one log line per
event. Service logs are also written to infra/.local/logs/<service>.log
(DOCKWATCH_INFRA_STATE/logs). Health ports: COLLECTOR_HEALTH_PORT,
DECODER_HEALTH_PORT, RULES_HEALTH_PORT, SINK_HEALTH_PORT (default 9481-9484).
Ctrl-C stops the services cleanly, all at once, each committing what it
finished; the infrastructure keeps running.`,
  status: `usage: dockwatch status

One line per component (Kafka, Elasticsearch, Redis, dockerd, the four
services), the lag of each consumer group and the number of alerts in
Elasticsearch. Exits 1 when something is down.`,
  tail: `usage: dockwatch tail <topic> [--from-beginning] [--rule ID] [--min-level N] [--container NAME]

Follows <topic> (docker.events.raw, docker.events.decoded, alerts, dockwatch.dlq, …)
and prints each record as one JSON line. Avro values are decoded with the
writer schema from the dockwatch.schemas topic. Ctrl-C stops.`,
  logtest: `usage: dockwatch logtest [FILE] [--local-dir DIR] [--min-level N] [--json]

Reads engine events (docker events --format '{{json .}}'), raw DockerEvent
records or decoded events from FILE or stdin, one or a stream, and prints the
decoded fields, every rule tried (and why it did not match) and the alert,
like wazuh-logtest. Frequency rules keep their windows for the session.`,
  rules: `usage: dockwatch rules check [DIR] [--shipped-dir DIR]

Validates the shipped ruleset plus DIR (a local rules directory, default
RULES_LOCAL_DIR) and prints every error as file:line: message; exits 1 on errors.`,
  replay: `usage: dockwatch replay --since <TIME> [--local-dir DIR] [--dry-run]

Runs the current ruleset (shipped + RULES_LOCAL_DIR, or --local-dir) again
over docker.events.decoded from TIME (a duration ago: 90s, 15m, 2h, 7d; or an
ISO 8601 time: 2026-11-28T13:00:00Z) up to the end of the topic when the
replay starts, and produces the alerts to the alerts topic with their usual
ids: the sink's index operation updates those alerts in Elasticsearch in
place. Prints progress (records done/total, %) and a count per rule.
Correlation (frequency) rules are not counted again. --dry-run evaluates and
counts without producing. Reads with a throw-away consumer group; the live
pipeline is not disturbed. Uses the same variables as the rules service
(KAFKA_*, TOPIC_DECODED, TOPIC_ALERTS, ALERT_MIN_LEVEL, ALERTS_FORMAT, MANAGER_NAME, …).`,
  dlq: `usage: dockwatch dlq [--stage STAGE] [--reason REASON] [--offset P@O ...] [--limit N]
       dockwatch dlq redrive (--stage STAGE | --reason REASON | --offset P@O ...) [--dry-run]

Reads TOPIC_DLQ (dockwatch.dlq) to its end with a throw-away consumer group
and prints the count of dead letters per stage and reason (decoder, rules,
sink; not-avro, invalid-value, es-rejected, …), then the selected ones: their
position in the DLQ (partition@offset), stage, reason, source
topic/partition@offset, time and error.
redrive produces the selected dead letters (original key, bytes and headers,
plus dockwatch.redriven.from) to the topic each came from, after a fix (a
mapping, a ruleset, a schema), so its stage tries them again; the DLQ itself
is left as it is. --dry-run says what it would send.`,
  down: `usage: dockwatch down

Stops the services of a running 'dockwatch up', then Kafka, Elasticsearch,
Redis and dockerd as started by infra/local.`,
};

async function main(argv: string[]): Promise<number> {
  const [command = "", ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help" || command === "") {
    process.stdout.write(HELP[""] + "\n");
    return command === "" ? 2 : 0;
  }
  if (!(command in HELP)) {
    process.stderr.write(`dockwatch: unknown command '${command}'\n${HELP[""]}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(HELP[command] + "\n");
    return 0;
  }
  switch (command) {
    case "up": {
      const { values } = parseArgs({ args: rest, options: { "no-infra": { type: "boolean" }, plain: { type: "boolean" } } });
      mkdirSync(dirname(upPidFile), { recursive: true });
      writeFileSync(upPidFile, String(process.pid));
      await up({ noInfra: values["no-infra"] ?? false, live: !values.plain && process.stdout.isTTY === true });
      return -1; // keeps running until Ctrl-C
    }
    case "status":
      return status();
    case "tail": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { "from-beginning": { type: "boolean" }, rule: { type: "string" }, "min-level": { type: "string" }, container: { type: "string" } },
      });
      if (positionals.length !== 1) throw new UsageError("tail needs exactly one topic");
      const minLevel = values["min-level"] === undefined ? undefined : Number(values["min-level"]);
      if (minLevel !== undefined && !Number.isInteger(minLevel)) throw new UsageError("--min-level needs an integer");
      await tail({
        topic: positionals[0]!,
        fromBeginning: values["from-beginning"] ?? false,
        ...(values.rule !== undefined ? { rule: values.rule } : {}),
        ...(minLevel !== undefined ? { minLevel } : {}),
        ...(values.container !== undefined ? { container: values.container } : {}),
      });
      return -1;
    }
    case "logtest":
    case "rules": {
      // In process on the rule engine the rules service runs.
      return runRulesCommand([command, ...rest], {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
        stdin: () => readFileSync(0, "utf8"),
        env: process.env,
      });
    }
    case "replay": {
      const { values } = parseArgs({ args: rest, options: { since: { type: "string" }, "local-dir": { type: "string" }, "dry-run": { type: "boolean" } } });
      if (values.since === undefined) throw new UsageError("replay needs --since <TIME>");
      let since: Date;
      try {
        since = parseSince(values.since, new Date());
      } catch (err) {
        throw err instanceof ReplayUsageError ? new UsageError(err.message) : err;
      }
      await replay({ since, dryRun: values["dry-run"] ?? false, ...(values["local-dir"] !== undefined ? { localDir: values["local-dir"] } : {}) });
      return 0;
    }
    case "dlq": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          stage: { type: "string" },
          reason: { type: "string" },
          offset: { type: "string", multiple: true },
          limit: { type: "string" },
          "dry-run": { type: "boolean" },
        },
      });
      const sel = {
        ...(values.stage !== undefined ? { stage: values.stage } : {}),
        ...(values.reason !== undefined ? { reason: values.reason } : {}),
        ...(values.offset !== undefined ? { positions: values.offset } : {}),
      };
      if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== "redrive")) throw new UsageError("dlq takes no argument but 'redrive'");
      if (positionals[0] === "redrive") {
        if (sel.stage === undefined && sel.reason === undefined && sel.positions === undefined) throw new UsageError("dlq redrive needs --stage, --reason or --offset");
        return dlqRedrive({ ...sel, dryRun: values["dry-run"] ?? false });
      }
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new UsageError("--limit needs a non-negative integer");
      return dlqList({ ...sel, ...(limit !== undefined ? { limit } : {}) });
    }
    case "down":
      await down();
      return 0;
  }
  return 2;
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`dockwatch: ${redactCredentials(err.message)}${err instanceof UsageError ? " (see --help)" : ""}\n`);
    process.exit(err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1);
  },
);
