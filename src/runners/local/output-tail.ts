/**
 * Keeps the last lines a child wrote, bounded in bytes, so a failed local run
 * can be diagnosed without holding its whole output in memory.
 */
export class OutputTail {
  private readonly lines: string[] = [];
  private bytes = 0;
  private partial = '';

  constructor(
    private readonly maxBytes = 8 * 1024,
    private readonly onLine?: (line: string) => void,
  ) {}

  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    // A child that never prints a newline must not grow `partial` without bound.
    if (this.partial.length > this.maxBytes) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) this.push(line);
  }

  /** Flushes an unterminated last line (call when the stream ends). */
  end(): void {
    if (this.partial) this.push(this.partial);
    this.partial = '';
  }

  text(): string {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].join('\n');
  }

  private push(line: string): void {
    const clean = line.replace(/\r$/, '');
    this.onLine?.(clean);
    this.lines.push(clean);
    this.bytes += Buffer.byteLength(clean) + 1;
    while (this.bytes > this.maxBytes && this.lines.length > 1) {
      this.bytes -= Buffer.byteLength(this.lines.shift() ?? '') + 1;
    }
  }
}
