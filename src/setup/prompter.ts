import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

/** Asks the person running setup; `NonInteractivePrompter` answers every question with its default. */
export interface Prompter {
  readonly interactive: boolean;
  /** The answer, trimmed; `fallback` when the answer is empty. A `secret` answer is not echoed on a terminal. */
  ask(question: string, options?: { fallback?: string; secret?: boolean }): Promise<string>;
  confirm(question: string, fallback: boolean): Promise<boolean>;
  close(): void;
}

/** The input ended (Ctrl-D, or a pipe ran dry) before a question was answered. */
export class InputEndedError extends Error {
  override readonly name = 'InputEndedError';
}

export class NonInteractivePrompter implements Prompter {
  readonly interactive = false;
  ask(_question: string, options: { fallback?: string } = {}): Promise<string> {
    return Promise.resolve(options.fallback ?? '');
  }
  confirm(_question: string, fallback: boolean): Promise<boolean> {
    return Promise.resolve(fallback);
  }
  close(): void {}
}

/**
 * Questions on a terminal or a pipe, through node:readline/promises. Lines are
 * read from the interface's iterator, so a pipe that delivers all its answers
 * at once loses none of them between questions.
 */
export class ReadlinePrompter implements Prompter {
  readonly interactive = true;
  private muted = false;
  private readonly rl;
  private readonly lines: AsyncIterator<string>;
  private readonly terminal: boolean;

  constructor(input: NodeJS.ReadableStream, private readonly output: NodeJS.WritableStream) {
    const self = this;
    // Readline echoes what is typed through its output; a secret is typed into a muted one.
    const echo = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (!self.muted) output.write(chunk);
        done();
      },
    });
    this.terminal = (input as { isTTY?: boolean }).isTTY === true;
    this.rl = createInterface({ input, output: echo, terminal: this.terminal });
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  async ask(question: string, options: { fallback?: string; secret?: boolean } = {}): Promise<string> {
    const hint = options.fallback !== undefined && options.fallback !== '' && !options.secret ? ` [${options.fallback}]` : '';
    this.rl.setPrompt(`${question}${hint}: `);
    this.rl.prompt();
    if (options.secret && this.terminal) this.muted = true;
    let next: IteratorResult<string>;
    try {
      next = await this.lines.next();
    } finally {
      if (this.muted) {
        this.muted = false;
        this.output.write('\n');
      }
    }
    if (next.done) throw new InputEndedError(`the input ended before an answer to "${question}"`);
    const answer = next.value.trim();
    if (!this.terminal) this.output.write(options.secret && answer ? '(hidden)\n' : `${answer}\n`);
    return answer === '' ? (options.fallback ?? '') : answer;
  }

  async confirm(question: string, fallback: boolean): Promise<boolean> {
    for (;;) {
      const answer = (await this.ask(`${question} (${fallback ? 'Y/n' : 'y/N'})`)).toLowerCase();
      if (answer === '') return fallback;
      if (['y', 'yes'].includes(answer)) return true;
      if (['n', 'no'].includes(answer)) return false;
      this.output.write('Please answer y or n.\n');
    }
  }

  close(): void {
    this.rl.close();
  }
}
