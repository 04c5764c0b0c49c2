// Where a service's CPU went, from the V8 CPU profile `node --cpu-prof`
// writes (bench --cpu-prof): self time summed by where the code lives (a
// package under node_modules, a dockwatch lib or service, node's internals,
// V8's own garbage collector and idle time) and by function. Pure: a parsed
// profile in, a summary out.

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  ms: number;
  /** Of all sampled time, idle included. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Sampled time the process was busy (neither idle nor waiting). */
  busyMs: number;
  byPlace: Share[];
  byFunction: Share[];
}

/** Where a frame's code lives: "kafkajs", "@dockwatch/docker-event", "node", "(garbage collector)"… */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node";
  // The innermost node_modules: a nested copy's code is that package's, not its dependent's.
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(libs|services)\/([^/]+)\//.exec(url);
  if (own) return `@dockwatch/${own[2]}`;
  return url;
}

const IDLE = new Set(["(idle)", "(program)"]);

/** Self time by place and by function, largest first (`top` functions). */
export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: charge it to that sample's node.
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    const place = placeOf(frame.url, frame.functionName);
    total += micros;
    if (IDLE.has(frame.functionName)) idle += micros;
    places.set(place, (places.get(place) ?? 0) + micros);
    const fn = `${frame.functionName || "(anonymous)"} ${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ""}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const shares = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: total ? micros / total : 0 }));
  return { totalMs: total / 1000, busyMs: (total - idle) / 1000, byPlace: shares(places, 12), byFunction: shares(functions, top) };
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/((?:libs|services)\/.*)$/.exec(url);
  return own ? own[1]! : url.replace(/^file:\/\//, "");
}
