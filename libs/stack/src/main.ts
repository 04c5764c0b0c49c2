import { SERVICES, spawnService, type ServiceProcess } from "./services.js";

// `npm start`: the four services of this host in one terminal, each line
// prefixed with its service. Ctrl-C stops them cleanly; the local
// infrastructure (Kafka, Elasticsearch, Redis, dockerd) keeps running.

const elasticsearchUrl = process.env.ELASTICSEARCH_URL ?? "http://localhost:9200";

async function main(): Promise<void> {
  // Downstream first, so nothing waits on a consumer that is not there yet.
  const order = [...SERVICES].reverse();
  const running: ServiceProcess[] = [];
  let stopping = false;

  const stopAll = async (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`dockwatch: stopping services (${why}); infrastructure keeps running (infra/local down stops it)\n`);
    const codes = await Promise.all([...running].reverse().map((s) => s.stop()));
    process.exit(codes.every((c) => c === 0) ? 0 : 1);
  };
  process.on("SIGINT", () => void stopAll("SIGINT"));
  process.on("SIGTERM", () => void stopAll("SIGTERM"));

  for (const name of order) {
    const service = spawnService(name);
    running.push(service);
    void service.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`dockwatch: ${name} exited (${String(code)}); stopping the others\n`);
        void stopAll(`${name} exited`);
      }
    });
    await service.waitReady();
  }
  process.stdout.write(
    [
      "",
      "dockwatch is running: collector -> docker.events.raw -> decoder -> rules -> alerts -> sink -> Elasticsearch",
      "  try:     docker run -d --name apache $(cat infra/.local/busybox-image) sleep 300",
      `  alerts:  curl -s '${elasticsearchUrl}/dockwatch-alerts/_search?q=rule.id:87903&sort=timestamp:desc&pretty'`,
      "  health:  http://localhost:9481/readyz (collector) 9482 (decoder) 9483 (rules) 9484 (sink)",
      "  stop:    Ctrl-C (services); infra/local down (Kafka, Elasticsearch, Redis, dockerd)",
      "",
    ].join("\n") + "\n",
  );
}

main().catch((err: Error) => {
  process.stderr.write(`dockwatch: ${err.message}\n`);
  process.exit(1);
});
