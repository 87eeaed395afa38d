import { capLogExcerpt } from '../domain/step.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RunnerLog {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  /** Adds a value that must never appear in any line written from now on. */
  addSecret(value: string | undefined): void;
  /** Writes command output as it is (after scrubbing), without a prefix. */
  raw(text: string): void;
  /** Scrubs registered secrets from free text (command output, error messages). */
  redact(text: string): string;
}

/** Values shorter than this are not scrubbed: replacing "1" everywhere would wreck the log without protecting anything. */
const MIN_SECRET_LENGTH = 6;

/**
 * A line logger for the runner. The runner prints into GitHub Actions logs and
 * Fly machine logs, which many people can read, so every line passes through
 * the secret scrubber; the same scrubber is shared with step log tails.
 */
export function createRunnerLog(write: (line: string) => void, secrets: Set<string> = new Set()): RunnerLog {
  const redact = (text: string): string => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***');
    return out;
  };
  const emit = (level: LogLevel, message: string, meta?: Record<string, unknown>): void => {
    const suffix = meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
    write(redact(`[ai-implement] ${level} ${message}${suffix}`));
  };
  return {
    debug: (m, meta) => emit('debug', m, meta),
    info: (m, meta) => emit('info', m, meta),
    warn: (m, meta) => emit('warn', m, meta),
    error: (m, meta) => emit('error', m, meta),
    addSecret(value) {
      if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
    },
    raw: (text) => write(redact(text.replace(/\n$/, ''))),
    redact,
  };
}

/**
 * Collects one step's output so its tail can travel in the progress report,
 * while still echoing every line to the job log.
 */
export class StepLogBuffer {
  private text = '';

  constructor(
    private readonly log: RunnerLog,
    /** Keeps memory bounded on chatty steps; only the tail is ever reported. */
    private readonly keepBytes = 32 * 1024,
  ) {}

  /** Output of a command: kept for the tail and echoed to the job log. */
  output(chunk: string): void {
    this.log.raw(chunk);
    this.append(chunk);
  }

  append(chunk: string): void {
    // Redact after joining, so a secret split across two chunks is still caught.
    this.text = capLogExcerpt(this.log.redact(this.text + chunk), this.keepBytes);
  }

  line(message: string): void {
    this.append(`${message}\n`);
    this.log.info(message);
  }

  /** Scrubs the job's secrets from text a step is about to post (a GitHubTarget's `redact`). */
  readonly redact = (text: string): string => this.log.redact(text);

  /** Scrubs and trims text that did not go through append (a command's captured output). */
  redactTail(text: string, maxBytes: number): string {
    return capLogExcerpt(this.log.redact(text), maxBytes);
  }

  tail(maxBytes?: number): string {
    return capLogExcerpt(this.text, maxBytes);
  }
}
