/**
 * Splits the engine's /events byte stream into JSON lines. Chunk boundaries
 * fall anywhere: an event may span chunks and a chunk may hold several events.
 * Bytes are kept until a newline completes them, so multi-byte characters
 * split across chunks are decoded whole.
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let start = 0;
    for (let nl = this.pending.indexOf(0x0a, start); nl !== -1; nl = this.pending.indexOf(0x0a, start)) {
      const line = this.pending.subarray(start, nl).toString("utf8").trim();
      if (line.length > 0) lines.push(line);
      start = nl + 1;
    }
    this.pending = this.pending.subarray(start);
    return lines;
  }

  /** What is left when the stream ends: a partial line, if the engine went away mid-event. */
  flush(): string | undefined {
    const rest = this.pending.toString("utf8").trim();
    this.pending = Buffer.alloc(0);
    return rest.length > 0 ? rest : undefined;
  }
}
