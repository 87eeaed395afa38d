import type { Prompter } from './prompter.js';
import type { SetupOptions } from './setup-options.js';

/** What every setup step is given. */
export interface SetupContext {
  options: SetupOptions;
  prompter: Prompter;
  /** One line to the person running setup. */
  say: (line: string) => void;
  now: () => Date;
}

/** A step could not go on; `message` is the sentence to print (what is wrong, how to fix it). */
export class SetupFailure extends Error {
  override readonly name = 'SetupFailure';
}

/** What a step contributes to the env file. */
export interface StepResult {
  entries: { name: string; value: string; note?: string }[];
  /** Variables of an existing env file this step's values make stale (dropped when it is rewritten). */
  replaces: string[];
  /** Lines for the "next steps" list at the end. */
  nextSteps: string[];
}

export const NOTHING: StepResult = { entries: [], replaces: [], nextSteps: [] };

/**
 * Asks for a value that may also come from an option: the option wins; in
 * non-interactive mode a missing answer is `fallback`.
 */
export async function answer(ctx: SetupContext, given: string | undefined, question: string, options: { fallback?: string; secret?: boolean } = {}): Promise<string> {
  if (given !== undefined) return given;
  return ctx.prompter.ask(question, options);
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** An http(s) URL without a trailing slash, or a sentence naming `what`, the problem and an example. */
export function checkBaseUrl(value: string, what: string, example: string, options: { httpsUnlessLoopback?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SetupFailure(`${what} must be an absolute URL (got "${value}"), e.g. ${example}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SetupFailure(`${what} must start with https:// (got "${value}"), e.g. ${example}`);
  if (options.httpsUnlessLoopback && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new SetupFailure(`${what} must be https (plain http only on this machine): GitHub, Linear, Jira and the runners send secrets to it (got "${value}"), e.g. ${example}`);
  }
  if (url.search || url.hash) throw new SetupFailure(`${what} must have no ?query or #fragment (got "${value}"), e.g. ${example}`);
  return url.toString().replace(/\/+$/, '');
}

/** Text from a remote service, safe to print: control characters (terminal escapes, line breaks) become spaces. */
export function plain(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200);
}
