// A recording pass-through between a sink and Elasticsearch: the local
// Elasticsearch has no ingest modules (no `set` processor, no painless), so
// the time a document was indexed is taken here instead, as the moment
// Elasticsearch answered the `_bulk` request that holds it with a 2xx for
// that item (the write is acknowledged, in its translog; searchable at the
// next refresh). Every Elasticsearch phase goes through it, the plain `_bulk`
// too, so each pays the same extra hop.
import { createServer, request, Agent, type IncomingMessage, type Server } from "node:http";

export interface Acked {
  index: string;
  id: string;
  /** ms since the epoch, sub-ms precise. */
  atMs: number;
}

const wallMs = () => performance.timeOrigin + performance.now();

export interface EsProxy {
  url: string;
  /** Acknowledged documents of indices starting with `prefix` (first success of each id). */
  acked(prefix: string): Acked[];
  close(): Promise<void>;
}

export async function startEsProxy(target: string): Promise<EsProxy> {
  const to = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const acked: Acked[] = [];
  const server: Server = createServer((req, res) => {
    const bulk = req.method === "POST" && /\/_bulk(\?|$)/.test(req.url ?? "");
    // The sink asks for a filtered answer (statuses only): the ids come from the request's action lines, in order.
    const sent: Buffer[] = [];
    if (bulk) req.on("data", (c: Buffer) => sent.push(c));
    const headers = { ...req.headers, host: to.host };
    // Uncompressed answers, so the bulk response can be read here.
    delete headers["accept-encoding"];
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers, agent }, (answer: IncomingMessage) => {
      if (!bulk) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on("data", (c: Buffer) => chunks.push(c));
      answer.on("end", () => {
        const at = wallMs();
        const body = Buffer.concat(chunks);
        try {
          const parsed = JSON.parse(body.toString("utf8")) as { items?: Array<Record<string, { status: number }>> };
          const actions = actionsOf(Buffer.concat(sent).toString("utf8"), /^\/([^/_][^/]*)\/_bulk/.exec(req.url ?? "")?.[1]);
          (parsed.items ?? []).forEach((item, i) => {
            const status = Object.values(item)[0]?.status ?? 0;
            const a = actions[i];
            if (a && status >= 200 && status < 300) acked.push({ index: a.index, id: a.id, atMs: at });
          });
        } catch {
          // Not JSON (an error page): nothing acknowledged.
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(body);
      });
    });
    up.on("error", (err) => {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `bench proxy: ${err.message}` }));
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    acked(prefix) {
      const seen = new Set<string>();
      return acked.filter((a) => a.index.startsWith(prefix) && !seen.has(a.id) && (seen.add(a.id), true));
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      agent.destroy();
    },
  };
}

/** The target of each operation of a `_bulk` body: index and id from its action line (a source line follows index, create and update). */
export function actionsOf(body: string, defaultIndex = ""): Array<{ index: string; id: string }> {
  const out: Array<{ index: string; id: string }> = [];
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]) continue;
    const action = JSON.parse(lines[i]!) as Record<string, { _index?: string; _id?: string }>;
    const [kind, meta] = Object.entries(action)[0] ?? [];
    out.push({ index: meta?._index ?? defaultIndex, id: meta?._id ?? "" });
    if (kind !== "delete") i++;
  }
  return out;
}
