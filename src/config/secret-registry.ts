/**
 * Holds every secret value the process knows so that logs, API answers and
 * text posted to tickets or pull requests can be scrubbed of them. One
 * registry per process, created by the composition root and passed along —
 * never a module-level singleton.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret; values shorter than 6 characters are too common to scrub safely. */
  register(value: string | undefined): void {
    if (!value || value.length < 6 || this.values.has(value)) return;
    this.values.add(value);
    // A PEM key also appears in logs line by line; register its body lines.
    if (value.includes('-----BEGIN')) {
      for (const line of value.split(/\r?\n/)) {
        if (line.length >= 16 && !line.startsWith('-----')) this.values.add(line.trim());
      }
    }
    this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  /** Replaces every registered secret in `text` with `[REDACTED]`. */
  redact(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, '[REDACTED]');
  }

  /** Deep-redacts strings inside a JSON-like value (for API answers and posted text). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}
