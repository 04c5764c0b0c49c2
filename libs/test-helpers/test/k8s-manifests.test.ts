// infra/k8s's manifests, checked without a cluster by infra/k8s/validate (Go):
// every document decoded strictly into the k8s.io/api type of its kind
// (unknown fields fail), KEDA's ScaledObject into the subset of its API the
// manifests use, and dockwatch's rules (non-root, read-only root filesystem,
// no privilege escalation, probes on the health ports of topology.ts, resources,
// secrets as files of a mounted Secret, scaling on each stage's own group and
// topic). The expectation comes from libs/contracts here, so a port or group
// changed there fails this test until the manifests follow. When kubectl is
// on the PATH, what `kubectl kustomize` builds is checked the same way. Go is
// on CI machines; without it the test is skipped, saying so. The first run
// downloads k8s.io/api through the Go module proxy and compiles it (a minute
// or two); later runs reuse Go's caches.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_PARTITIONS, GROUPS, HEALTH_PORTS, TOPICS } from "@dockwatch/contracts";

const K8S = fileURLToPath(new URL("../../../infra/k8s/", import.meta.url));
const has = (cmd: string) => spawnSync(cmd, ["version"], { stdio: "ignore" }).error === undefined;
const expect = JSON.stringify({
  ports: HEALTH_PORTS,
  groups: GROUPS,
  topics: { decoder: TOPICS.raw, rules: TOPICS.decoded, sink: TOPICS.alerts },
  partitions: DEFAULT_PARTITIONS,
});
const manifests = ["base", "keda"].flatMap((dir) =>
  readdirSync(join(K8S, dir))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(K8S, dir, f)),
);

function validate(files: string[], stdin?: string): { status: number | null; out: string } {
  const r = spawnSync("go", ["run", ".", "-expect", expect, ...files], { cwd: join(K8S, "validate"), input: stdin, encoding: "utf8", timeout: 600_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("infra/k8s manifests", { skip: has("go") ? false : "go is not on the PATH (CI has it)" }, () => {
  it("every manifest decodes strictly into its Kubernetes type and follows dockwatch's rules", () => {
    const r = validate(manifests);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^ok: \d+ documents/m);
  });

  it("what kubectl kustomize builds passes the same check", { skip: has("kubectl") ? false : "kubectl is not on the PATH" }, () => {
    for (const overlay of ["base", "keda"]) {
      const built = execFileSync("kubectl", ["kustomize", join(K8S, overlay)], { encoding: "utf8" });
      const r = validate(["-"], built);
      assert.equal(r.status, 0, `${overlay}: ${r.out}`);
    }
  });

  it("fails a manifest that breaks a rule or has a field Kubernetes does not know", () => {
    // The validator itself must be able to fail: each change below alone.
    const sink = manifests.find((f) => f.endsWith(join("base", "sink.yaml")))!;
    const others = manifests.filter((f) => f !== sink && !f.endsWith("kustomization.yaml"));
    const cases: Array<[string, string, RegExp]> = [
      ["periodSeconds: 10", "periodSecond: 10", /unknown field "periodSecond"/],
      ["readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", /sink\/sink: readOnlyRootFilesystem is not true/],
      ['value: "9484"', 'value: "9999"', /sink: HEALTH_PORT is not 9484/],
      ["path: /readyz", "path: /healthz", /readiness probe on \/healthz, not \/readyz/],
      ["consumerGroup: dockwatch-sink", "consumerGroup: dockwatch-rules", /consumerGroup "dockwatch-rules"/],
    ];
    for (const [from, to, message] of cases) {
      const text = readFileSync(sink, "utf8") + readFileSync(join(K8S, "keda", "scaledobjects.yaml"), "utf8").replace(/^(?!---)/, "---\n");
      assert.ok(text.includes(from), from);
      const r = validate(others.filter((f) => !f.endsWith("scaledobjects.yaml")).concat("-"), text.replace(from, to));
      assert.notEqual(r.status, 0, `${from} -> ${to} passed`);
      assert.match(r.out, message);
    }
  });
});
