import type { ContainerFacts, DecodedEvent } from "@dockwatch/contracts";

/** A compact event description, as the fixtures write it. */
export interface EventSketch {
  type: string;
  action: string;
  id?: string;
  attributes?: Record<string, string>;
  inspect?: Partial<ContainerFacts>;
  agent?: { id?: string; name?: string };
  message?: string;
  kind?: DecodedEvent["kind"];
  timeNano?: string;
}

export const PLAIN_FACTS: ContainerFacts = {
  privileged: false,
  capAdd: [],
  mounts: [],
  networkMode: "bridge",
  pidMode: null,
  ipcMode: "private",
  utsMode: null,
  user: "",
  seccompProfile: null,
  apparmorProfile: null,
  restartPolicy: "no",
  image: "dockwatch/busybox:1.35.0",
  imageId: "sha256:0000",
};

/** The decoded event for a sketch, shaped as the decoder makes it (services/decoder/src/decode.ts). */
export function decodedEvent(s: EventSketch): DecodedEvent {
  const attributes = s.attributes ?? {};
  const id = s.id ?? "4ddd5d2a9f4bd2fd9f3e8df3a6d3e5d1a2b3c4d5e6f708192a3b4c5d6e7f8091";
  const timeNano = s.timeNano ?? "1700000000123456789";
  const isContainer = s.type === "container";
  const exec = isContainer ? /^(exec_\w+)(?::\s*(.*))?$/s.exec(s.action) : null;
  const words = (exec?.[2] ?? "").trim().split(/\s+/).filter(Boolean);
  const agent = { id: s.agent?.id ?? "001", name: s.agent?.name ?? "agent001", ip: "192.168.122.19" };
  return {
    kind: s.kind ?? (s.type === "dockwatch" ? "status" : "engine"),
    agent,
    engine: { id: "ENGINE", hostname: "host1", version: "20.10.24", apiVersion: "1.41" },
    docker: {
      status: s.action,
      id,
      from: attributes.image ?? null,
      Type: s.type,
      Action: s.action,
      Actor: { ID: id, Attributes: attributes },
      scope: "local",
      time: timeNano.slice(0, -9),
      timeNano,
    },
    fullLog: `{"integration": "docker", "docker": {"Type": "${s.type}", "Action": "${s.action}"}}`,
    timestamp: new Date(Number(BigInt(timeNano) / 1_000_000n)).toISOString(),
    event: { action: s.action, type: ["info"], category: [] },
    container: isContainer
      ? { id, name: attributes.name ?? null, imageName: attributes.image ?? null, labels: {} }
      : null,
    exec: exec ? { action: exec[1]!, command: words[0] ?? "", args: words.slice(1) } : null,
    inspect: isContainer ? { ...PLAIN_FACTS, ...s.inspect } : null,
    host: { name: agent.name, hostname: "host1", ip: agent.ip },
    message: s.message ?? null,
    receivedAtNano: BigInt(timeNano),
  };
}
