import type { Admin } from "kafkajs";

export interface GroupLag {
  groupId: string;
  topic: string;
  /** Sum over partitions of (end offset - committed offset); a never-committed partition counts from its start. */
  lag: number;
}

export function partitionLag(high: string, low: string, committed: string): number {
  const end = BigInt(high);
  const start = committed === "-1" ? BigInt(low) : BigInt(committed);
  return Number(end > start ? end - start : 0n);
}

export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<GroupLag> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
  const lag = ends.reduce((sum, e) => sum + partitionLag(e.high, e.low, byPartition.get(e.partition) ?? "-1"), 0);
  return { groupId, topic, lag };
}
