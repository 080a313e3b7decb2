/** Keeps the last `limit` bytes of a stream: a child printing 100 MB to stderr costs the orchestrator only this. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;

  constructor(private readonly limit = 8192) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      const first = this.chunks.shift()!;
      this.size -= first.length;
      this.dropped += first.length;
    }
    if (this.size > this.limit * 2) {
      const all = Buffer.concat(this.chunks);
      const keep = all.subarray(all.length - this.limit);
      this.dropped += all.length - keep.length;
      this.chunks = [Buffer.from(keep)];
      this.size = keep.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const s = all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
    return (this.dropped > 0 ? '…' : '') + s;
  }

  /**
   * The last non-empty line (what a child says last is usually the reason it stopped); after Node's own report of
   * an uncaught error, which ends in `Node.js vX.Y.Z`, the error's line (`SyntaxError: Unexpected end of input`).
   */
  lastLine(): string {
    const lines = this.text()
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const last = lines[lines.length - 1] ?? '';
    if (!NODE_TRAILER.test(last)) return last;
    for (let i = lines.length - 2; i >= 0; i--) if (ERROR_LINE.test(lines[i]!)) return lines[i]!;
    return lines[lines.length - 2] ?? last;
  }
}

/** The line Node prints last after an uncaught error's stack. */
const NODE_TRAILER = /^Node\.js v\d+\.\d+\.\d+$/;
/** The line of an uncaught error that names it: `TypeError: …`, `Error [ERR_X]: …`, `Uncaught 'text'`. */
const ERROR_LINE = /^([A-Z]\w*(Error|Exception)\b|Error\b|Uncaught\b)/;
