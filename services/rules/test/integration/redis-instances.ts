import { after, before } from "node:test";
import { infra, unique } from "@dockwatch/test-helpers";
import { createRedis, type Redis } from "../../src/correlation/index.js";

export interface TwoInstances {
  /** The connection of rules instance "a". */
  readonly a: Redis;
  /** The connection of rules instance "b". */
  readonly b: Redis;
  /** A key prefix of the suite's own, deleted from Redis when the suite ends. */
  prefix(label: string): string;
}

/** Two rules instances = two connections to the real Redis, for the enclosing suite. */
export function twoRedisInstances(): TwoInstances {
  const prefixes: string[] = [];
  let a: Redis | undefined;
  let b: Redis | undefined;
  before(async () => {
    a = createRedis({ url: infra.redisUrl }, { connectionName: "test-instance-a" });
    b = createRedis({ url: infra.redisUrl }, { connectionName: "test-instance-b" });
    await Promise.all([a.connect(), b.connect()]);
  });
  after(async () => {
    for (const prefix of prefixes) {
      const keys = await a!.keys(`${prefix}*`);
      if (keys.length > 0) await a!.del(...keys);
    }
    await Promise.all([a!.quit(), b!.quit()]);
  });
  return {
    get a() {
      return a!;
    },
    get b() {
      return b!;
    },
    prefix(label) {
      const keyPrefix = `${unique(label)}:`;
      prefixes.push(keyPrefix);
      return keyPrefix;
    },
  };
}
