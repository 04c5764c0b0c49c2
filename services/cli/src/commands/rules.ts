import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { alertDocument } from "@dockwatch/contracts";
import { DecodeError } from "@dockwatch/docker-event";
import {
  LogtestInputError,
  RulesetError,
  SHIPPED_RULES_DIR,
  formatLogtest,
  formatProblem,
  loadRuleset,
  runLogtest,
  sessionCorrelator,
  splitJsonValues,
  version,
  type AlertContext,
} from "@dockwatch/rule-engine";

const USAGE = `usage:
  dockwatch logtest [FILE] [--local-dir DIR] [--min-level N] [--json]
      Reads engine events (docker events --format '{{json .}}'), raw DockerEvent
      records or decoded events from FILE or stdin, one or a stream, and prints
      the decoded fields, the rules tried and the alert, like wazuh-logtest.
  dockwatch rules check [DIR] [--shipped-dir DIR]
      Validates the shipped ruleset plus DIR (a local rules directory) and
      prints every error as file:line: message; exits 1 on errors.
Both take RULES_LOCAL_DIR / RULES_SHIPPED_DIR from the environment as defaults.`;

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin: () => string;
  env: NodeJS.ProcessEnv;
}

/** `dockwatch logtest` and `dockwatch rules check`, in process on the rule engine; returns the exit code. */
export async function runRulesCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "local-dir": { type: "string" },
      "shipped-dir": { type: "string" },
      "min-level": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const shippedDir = values["shipped-dir"] ?? io.env.RULES_SHIPPED_DIR ?? SHIPPED_RULES_DIR;
  const [command, sub, ...rest] = positionals;
  if (values.help || !command) {
    io.stdout(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  try {
    if (command === "rules" && sub === "check") {
      const dir = rest[0] ?? values["local-dir"] ?? io.env.RULES_LOCAL_DIR;
      if (dir && !existsSync(dir)) {
        io.stderr(`${dir}: no such directory\n`);
        return 1;
      }
      const localDir = dir && resolve(dir) !== resolve(shippedDir) ? dir : undefined;
      const ruleset = loadRuleset({ shippedDir, ...(localDir ? { localDir } : {}) });
      io.stdout(`ruleset ${ruleset.hash}: ${ruleset.rules.size} rules from ${ruleset.files.length} files, no errors\n`);
      return 0;
    }
    if (command === "logtest") {
      const localDir = values["local-dir"] ?? io.env.RULES_LOCAL_DIR;
      const ruleset = loadRuleset({ shippedDir, ...(localDir ? { localDir } : {}) });
      const minLevel = Number(values["min-level"] ?? io.env.ALERT_MIN_LEVEL ?? 3);
      const input = sub ? readFileSync(sub, "utf8") : io.stdin();
      const identity = {
        agent: { id: io.env.AGENT_ID ?? "000", name: io.env.AGENT_NAME ?? "logtest", ip: io.env.AGENT_IP ?? "127.0.0.1" },
        engine: { id: "logtest", hostname: io.env.AGENT_NAME ?? "logtest", version: "", apiVersion: "" },
      };
      const correlator = sessionCorrelator();
      const ctx = (): AlertContext => ({
        manager: { name: io.env.MANAGER_NAME ?? "logtest" },
        cluster: { name: io.env.CLUSTER_NAME ?? "dockwatch", node: io.env.CLUSTER_NODE ?? "logtest" },
        location: "Wazuh-Docker",
        version,
        ruleset: ruleset.hash,
        now: new Date(),
        utcOffsetMinutes: -new Date().getTimezoneOffset(),
      });
      let failed = 0;
      for (const text of splitJsonValues(input)) {
        try {
          const outcome = await runLogtest(text, ruleset, { identity, minLevel, ctx: ctx(), correlator });
          if (values.json) {
            io.stdout(
              `${JSON.stringify(
                {
                  decoded: outcome.event,
                  chain: outcome.match.chain.map((r) => r.id),
                  tried: outcome.match.trials.map((t) => ({ rule: t.rule.id, matched: t.matched, ...(t.failed ? { failed: t.failed } : {}) })),
                  alerts: outcome.alerts.map(alertDocument),
                },
                (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
              )}\n`,
            );
          } else {
            io.stdout(`${formatLogtest(text, outcome, minLevel)}\n`);
          }
        } catch (err) {
          if (!(err instanceof LogtestInputError) && !(err instanceof DecodeError)) throw err;
          failed++;
          io.stderr(`logtest: ${(err as Error).message}: ${text.slice(0, 200)}\n`);
        }
      }
      return failed > 0 ? 1 : 0;
    }
  } catch (err) {
    if (err instanceof RulesetError) {
      io.stderr(`${err.problems.map(formatProblem).join("\n")}\n${err.problems.length} error(s)\n`);
      return 1;
    }
    if (err instanceof LogtestInputError) {
      io.stderr(`logtest: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  io.stderr(`unknown command: ${positionals.join(" ")}\n${USAGE}\n`);
  return 2;
}
