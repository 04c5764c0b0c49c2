import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MASK, createRedactor, decodeEvent } from "../src/index.js";
import { allStrings, containerLine, rawFromEngineLine } from "../src/testing.js";

// Each case: where a user typed or stored a secret, the secret itself, and
// what must still be readable around it (the mask replaces only the value).
const SECRETS: { rule: string; action?: string; labels?: Record<string, string>; secret: string; kept: string }[] = [
  { rule: "flag --x=", action: "exec_start: mysql -u root --password=hunter2 shop", secret: "hunter2", kept: "--password=" },
  { rule: "flag --x value", action: "exec_start: app --password s3cr3t-value --verbose", secret: "s3cr3t-value", kept: "--password " },
  { rule: "flag quoted", action: "exec_start: app --db-password 'two words' run", secret: "two words", kept: "--db-password " },
  { rule: "assignment PASSWORD=", action: 'exec_start: sh -c "export PASSWORD=pa55w0rd && run"', secret: "pa55w0rd", kept: "PASSWORD=" },
  { rule: "assignment *_TOKEN=", action: "exec_start: env GITHUB_TOKEN=ghp_abc123XYZ gh pr list", secret: "ghp_abc123XYZ", kept: "GITHUB_TOKEN=" },
  { rule: "assignment *_SECRET*=", action: "exec_start: env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI deploy", secret: "wJalrXUtnFEMI", kept: "AWS_SECRET_ACCESS_KEY=" },
  { rule: "assignment API_KEY=", action: "exec_start: env API_KEY=k-1234567 run", secret: "k-1234567", kept: "API_KEY=" },
  { rule: "query string", action: "exec_start: wget http://svc/x?user=a&access_token=qs-tok-1", secret: "qs-tok-1", kept: "access_token=" },
  { rule: "Authorization header", action: 'exec_start: curl -H "Authorization: Basic dXNlcjpwYXNz" http://svc', secret: "dXNlcjpwYXNz", kept: "Authorization: Basic " },
  { rule: "Bearer", action: "exec_start: curl -H 'Authorization: Bearer eyJhbGciOi.x.y' http://svc", secret: "eyJhbGciOi.x.y", kept: "Bearer " },
  { rule: "Bearer alone", action: "exec_start: grpcurl -rpc-header 'bearer tok_live_998877' svc", secret: "tok_live_998877", kept: "bearer " },
  { rule: "header *-Token:", action: "exec_start: curl -H 'X-Auth-Token: tok987654' http://svc", secret: "tok987654", kept: "X-Auth-Token: " },
  { rule: "URL user:pass@", action: "exec_start: psql postgres://admin:Sup3rS3cret@db.internal:5432/x", secret: "Sup3rS3cret", kept: "postgres://admin:" },
  { rule: "mysql -p<pw>", action: "exec_start: mysql -uroot -pHunter22 shop", secret: "Hunter22", kept: "-uroot -p" },
  { rule: "label named like a secret", labels: { "com.example.db.password": "labelsecret1" }, secret: "labelsecret1", kept: "com.example.db.password" },
  { rule: "label carrying an assignment", labels: { "com.example.env": "API_TOKEN=lbl-tok-42" }, secret: "lbl-tok-42", kept: "API_TOKEN=" },
  { rule: "label carrying a URL", labels: { "com.example.db": "mysql://u:urlpass9@db/x" }, secret: "urlpass9", kept: "mysql://u:" },
];

describe("redaction: a secret never survives into any output field", () => {
  for (const c of SECRETS) {
    it(`${c.rule}: ${c.secret} is masked everywhere, ${JSON.stringify(c.kept)} stays`, () => {
      const line = containerLine(c.action ?? "start", c.labels);
      assert.ok(line.includes(c.secret), "the fixture carries the secret");
      const decoded = decodeEvent(rawFromEngineLine(line));
      const strings = [...allStrings(decoded), ...allStrings(JSON.parse(decoded.fullLog))];
      for (const s of strings) assert.ok(!s.includes(c.secret), `secret survived in ${JSON.stringify(s)}`);
      assert.ok(strings.some((s) => s.includes(MASK)), "the mask shows where the secret was");
      assert.ok(strings.some((s) => s.includes(c.kept)), `${c.kept} is still readable`);
      // full_log stays the engine's event as one valid JSON document, digits verbatim.
      assert.match(decoded.fullLog, /"timeNano": 1795873684909518378\}\}$/);
    });
  }

  it("masks the value of `--password value` in exec.args too (split after masking)", () => {
    const decoded = decodeEvent(rawFromEngineLine(containerLine("exec_start: app --password hunter2 -v")));
    assert.deepEqual(decoded.exec && { action: decoded.exec.action, command: decoded.exec.command, args: decoded.exec.args }, { action: "exec_start", command: "app", args: ["--password", MASK, "-v"] });
    assert.equal(decoded.docker.status, `exec_start: app --password ${MASK} -v`);
  });

  it("leaves ordinary commands, ports and image names alone", () => {
    const r = createRedactor();
    for (const s of [
      "exec_start: nc -p 8080 host",
      "exec_start: sh -c cd $PWD && ls",
      "exec_start: docker run -p 80:80 web",
      "token-service:1.0",
      "registry.example.com/team/secret-scanner:2.1",
      "sha256:3dd43be2c567e39ef9252779bb144486e080197e43f5c1014fa9daeeff7905e5",
      "http://example.com/path",
    ]) {
      assert.equal(r.text(s), s);
    }
  });
});

describe("user patterns (RE2 syntax)", () => {
  it("runs a catastrophic-backtracking pattern in linear time (RE2), so a crafted command cannot hang the decoder", () => {
    const r = createRedactor(["(a+)+$"]);
    // With a backtracking engine this input takes longer than the test run; RE2 finishes at once.
    const evil = `${"a".repeat(50_000)}!`;
    assert.equal(r.text(evil), evil);
  });
});
