import type { Component } from "@dockwatch/runtime";
import { nowNanos, type Records } from "./records.js";
import type { SpoolWriter } from "./spool-writer.js";

/** A status record every intervalMs, so a silent host is visible; through the spool, so it never waits for Kafka. */
export function createHeartbeat({ intervalMs, writer, records, connected }: { intervalMs: number; writer: SpoolWriter; records: Records; connected: () => boolean }): Component {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: "heartbeat",
    async start() {
      timer = setInterval(() => writer.append(records.status("heartbeat", connected() ? "Docker service connected" : "Docker service unreachable"), nowNanos()), intervalMs);
    },
    async stop() {
      clearInterval(timer);
    },
  };
}
