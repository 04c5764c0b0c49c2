// The secured local stack (infra/local --secure) as the tests of this folder see it: the settings
// infra/secure/*.sh hand each service, the secrets they point to, the bootstrap identities
// infra/local keeps for itself (setup and cleanup only), and throwaway certificates for the
// foreign-CA and expired-certificate denials.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@dockwatch/test-helpers";

/** Where infra/local --secure keeps certificates and passwords (outside the clone). */
export const SECRETS = process.env.DOCKWATCH_SECRETS ?? join(homedir(), ".config/dockwatch/secure");
export const ES_PORT = 19200;
export const REDIS_PORT = 16379;

export const secret = (name: string) => readFileSync(join(SECRETS, name), "utf8").trim();
export const caFile = join(SECRETS, "ca.crt");

/**
 * The services read `<NAME>_FILE` themselves once the sec-app branch lands (libs/config); until
 * then this turns each into `<NAME>` with the file's contents. Switching: set this to true.
 */
const SERVICES_READ_FILE_SECRETS = false;

/**
 * The settings infra/secure/elasticsearch.sh and redis.sh give `service` (secure_es_env,
 * secure_redis_env), as the services would get them, with `<NAME>_FILE` resolved for services
 * that cannot read it yet.
 */
export function secureEnv(service: string): Record<string, string> {
  const script = `source infra/secure/elasticsearch.sh && source infra/secure/redis.sh && secure_es_env "$1" && secure_redis_env "$1"`;
  const out = execFileSync("bash", ["-c", script, "secure-env", service], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, SECRETS, ES_PORT: String(ES_PORT), REDIS_PORT: String(REDIS_PORT) },
  });
  const env: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (SERVICES_READ_FILE_SECRETS) return env;
  for (const name of Object.keys(env)) {
    if (!name.endsWith("_FILE") || name.endsWith("_CA_FILE")) continue;
    env[name.slice(0, -"_FILE".length)] = readFileSync(env[name]!, "utf8").trim();
    delete env[name];
  }
  return env;
}

/** Every secret value of the secured stack (for "never in a log line" checks). */
export function secretValues(): string[] {
  return ["elasticsearch-admin", "elasticsearch-sink", "elasticsearch-reader", "redis-rules", "redis-admin"].map((n) => secret(`${n}.password`));
}

function openssl(dir: string, ...args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

export interface TestCertificates {
  dir: string;
  /** A CA that signed nothing of the stack. */
  caFile: string;
  /** A server certificate for 127.0.0.1/localhost signed by that CA, valid only in January 2020. */
  expiredCert: string;
  expiredKey: string;
}

/**
 * A throwaway CA and an expired server certificate it signed (openssl ca takes explicit dates;
 * openssl x509 cannot make a certificate that ended in the past). A client trusting this CA
 * fails on the expiry alone.
 */
export function testCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "dockwatch-secure-test-"));
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", "/CN=foreign test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", "ca.key", "-out", "ca.crt");
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ca]", "default_ca = test", "[test]", "database = index.txt", "new_certs_dir = .", "serial = serial", "default_md = sha256",
      "policy = any", "copy_extensions = none", "unique_subject = no", "[any]", "commonName = supplied",
      "[server]", "subjectAltName = DNS:localhost,IP:127.0.0.1", "extendedKeyUsage = serverAuth", "keyUsage = critical,digitalSignature,keyEncipherment",
    ].join("\n"),
  );
  openssl(dir, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=expired", "-keyout", "expired.key", "-out", "expired.csr");
  openssl(dir, "ca", "-batch", "-config", "ca.cnf", "-extensions", "server", "-cert", "ca.crt", "-keyfile", "ca.key", "-in", "expired.csr",
    "-out", "expired.crt", "-startdate", "20200101000000Z", "-enddate", "20200131000000Z", "-notext");
  return { dir, caFile: join(dir, "ca.crt"), expiredCert: join(dir, "expired.crt"), expiredKey: join(dir, "expired.key") };
}
