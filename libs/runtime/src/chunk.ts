/**
 * Splits items, in order, into consecutive chunks whose summed `sizeOf` stays
 * within `maxSize` and whose length stays within `maxCount`. An item larger
 * than `maxSize` goes alone: the receiver, not the batcher, decides whether it
 * is too big. Shared by the stage runner's bounded sends and the sink's `_bulk`.
 */
export function chunkBySize<T>(items: T[], sizeOf: (item: T) => number, maxSize: number, maxCount = Infinity): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (current.length > 0 && (current.length >= maxCount || size + itemSize > maxSize)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
