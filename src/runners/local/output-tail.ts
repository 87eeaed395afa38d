/**
 * Keeps the last lines a child wrote, bounded in bytes, so a failed local run
 * can be diagnosed without holding its whole output in memory.
 */
export class OutputTail {
  private readonly lines: string[] = [];
  private bytes = 0;
  private partial = '';
  private count = 0;
  private lastText = '';

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

  /** Lines written so far, including those the bound has dropped. */
  get lineCount(): number {
    return this.count + (this.partial ? 1 : 0);
  }

  /** The last line that was not blank (a child's output usually ends with its verdict). */
  get lastLine(): string {
    return this.partial.trim() ? this.partial : this.lastText;
  }

  text(): string {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].join('\n');
  }

  private push(line: string): void {
    const clean = line.replace(/\r$/, '');
    this.onLine?.(clean);
    this.count += 1;
    if (clean.trim()) this.lastText = clean;
    this.lines.push(clean);
    this.bytes += Buffer.byteLength(clean) + 1;
    while (this.bytes > this.maxBytes && this.lines.length > 1) {
      this.bytes -= Buffer.byteLength(this.lines.shift() ?? '') + 1;
    }
  }
}

/**
 * One line for the orchestrator's log about a child's whole output, e.g.
 * `code 0, 312 lines, last: 4 files changed`, at most `max` characters. The
 * output itself stays with the run: the runner posts each step's log, and the
 * backend keeps the tail (`outputTail`) and logs each line at debug level.
 */
export function summariseExit(exit: { code: number | null; signal: NodeJS.Signals | null }, tail: OutputTail, max = 200): string {
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code ?? '?'}`;
  const lines = tail.lineCount;
  const head = `${how}, ${lines} line${lines === 1 ? '' : 's'}`;
  const last = tail.lastLine.replace(/\s+/g, ' ').trim();
  if (!last) return head;
  const room = max - head.length - ', last: '.length;
  return `${head}, last: ${last.length > room ? `${last.slice(0, Math.max(0, room - 1))}…` : last}`;
}
