import { createServer, type Server } from "node:http";
import { redactCredentials } from "@dockwatch/errors";
import type { Metrics } from "./metrics.js";

export interface HealthServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly port: number;
  readonly host: string;
}

/** Loopback: HEALTH_HOST's default. A scraper on another host needs HEALTH_HOST=0.0.0.0 (or an address), set explicitly. */
export const DEFAULT_HEALTH_HOST = "127.0.0.1";

/**
 * /healthz: the process is alive. /readyz: every component started and reports
 * ready (when not, the body names what is not and why, one line each, if it
 * knows). /metrics: Prometheus text. On `host` only: loopback by default.
 */
export function createHealthServer(
  port: number,
  isReady: () => boolean,
  metrics: Metrics,
  details: () => string[] = () => [],
  host: string = DEFAULT_HEALTH_HOST,
): HealthServer {
  let server: Server | undefined;
  let boundPort = port;
  return {
    get port() {
      return boundPort;
    },
    host,
    async start() {
      server = createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path === "/healthz") {
          res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
        } else if (path === "/readyz") {
          const ready = isReady();
          // The reasons are error messages (a client's, with the URL it tried): never a credential in the answer.
          const body = ready ? "ready\n" : ["not ready", ...details().map(redactCredentials)].join("\n") + "\n";
          res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(body);
        } else if (path === "/metrics") {
          res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics.render());
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve, reject) => {
        server!.once("error", (err: NodeJS.ErrnoException) =>
          reject(
            err.code === "EADDRINUSE"
              ? new Error(`HEALTH_PORT ${port} is already in use on ${host}; set HEALTH_PORT to a free port`)
              : err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND"
                ? new Error(`HEALTH_HOST ${host} is not an address of this host (${err.code}); set HEALTH_HOST to one, or 0.0.0.0 for all`)
                : err,
          ),
        );
        server!.listen(port, host, () => {
          const address = server!.address();
          if (address && typeof address === "object") boundPort = address.port;
          resolve();
        });
      });
    },
    async stop() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}
