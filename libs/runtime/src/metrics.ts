/** Counters and gauges served as Prometheus text on /metrics. Deliberately tiny. */
export class Metrics {
  private readonly values = new Map<string, { help: string; type: "counter" | "gauge"; value: number }>();

  constructor(private readonly prefix: string) {}

  inc(name: string, help: string, by = 1): void {
    const m = this.values.get(name) ?? { help, type: "counter" as const, value: 0 };
    m.value += by;
    this.values.set(name, m);
  }

  set(name: string, help: string, value: number): void {
    this.values.set(name, { help, type: "gauge", value });
  }

  get(name: string): number {
    return this.values.get(name)?.value ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, { help, type, value }] of this.values) {
      const full = `${this.prefix}_${name}`;
      lines.push(`# HELP ${full} ${help}`, `# TYPE ${full} ${type}`, `${full} ${value}`);
    }
    return lines.join("\n") + "\n";
  }
}
