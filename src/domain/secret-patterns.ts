/**
 * Credentials recognisable by their shape, scrubbed even when nobody
 * registered them: a key an agent read from a file, a token a CLI printed, a
 * header a tool echoed. Each pattern is anchored on a vendor prefix or a
 * label, so ordinary text (commit shas, UUIDs, base64 in code, kebab-case
 * names) survives; the tests in `test/domain/secret-patterns.test.ts` hold
 * both sides.
 *
 * Pure: the SecretRegistry applies these after its registered values, and the
 * runner could apply them to its own log the same way.
 */

export const REDACTED = '[REDACTED]';

interface SecretPattern {
  name: string;
  pattern: RegExp;
  /**
   * Which capture group is the secret; the text around it (a label, a `:`)
   * stays so a reader still sees what was there. Whole match when unset.
   */
  group?: number;
  /** An extra check on the secret, for shapes that a prefix alone does not make rare enough. */
  accept?: (secret: string) => boolean;
}

/** Not preceded or followed by another token character, so a prefix inside a longer word does not count. */
const START = String.raw`(?<![A-Za-z0-9_-])`;
const END = String.raw`(?![A-Za-z0-9_-])`;

/** A random key mixes cases and digits; a kebab-case name that happens to start with `sk-` does not. */
function looksRandom(secret: string): boolean {
  return /[a-z]/.test(secret) && /[A-Z]/.test(secret) && /[0-9]/.test(secret);
}

const PATTERNS: readonly SecretPattern[] = [
  // GitHub: personal (ghp_), OAuth (gho_), user-to-server (ghu_), installation (ghs_), refresh (ghr_), fine-grained PATs.
  { name: 'github', pattern: new RegExp(String.raw`(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{40,251})(?![A-Za-z0-9_])`, 'g') },
  // Anthropic before OpenAI: both start with `sk-`.
  { name: 'anthropic', pattern: new RegExp(`${START}sk-ant-[A-Za-z0-9_-]{20,}${END}`, 'g') },
  { name: 'openai-project', pattern: new RegExp(`${START}sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}${END}`, 'g') },
  { name: 'openai', pattern: new RegExp(`${START}sk-[A-Za-z0-9_-]{32,}${END}`, 'g'), accept: looksRandom },
  { name: 'aws-access-key-id', pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  // The secret key is 40 characters of base64 with nothing to recognise it by, so only when labelled.
  {
    name: 'aws-secret-access-key',
    pattern: /((?:aws_?)?secret_?access_?key\\?["']?[ \t]*[:=][ \t]*\\?["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    group: 2,
  },
  { name: 'aws-session-token', pattern: /((?:aws_?)?session_?token\\?["']?[ \t]*[:=][ \t]*\\?["']?)([A-Za-z0-9/+=]{100,})/gi, group: 2 },
  { name: 'slack', pattern: new RegExp(`${START}xox[abprs]-[A-Za-z0-9-]{10,}${END}`, 'g') },
  { name: 'gitlab', pattern: new RegExp(`${START}glpat-[A-Za-z0-9_-]{20,}${END}`, 'g') },
  { name: 'google-api-key', pattern: new RegExp(`${START}AIza[0-9A-Za-z_-]{35}${END}`, 'g') },
  // A JWT's header is JSON, so base64url of `{"` — `eyJ`; the payload usually is too. Unsigned ones carry claims as well.
  { name: 'jwt', pattern: new RegExp(`${START}eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]*${END}`, 'g') },
  // The credential of an Authorization header, however it was printed (curl -H, a JSON dump, a log line).
  {
    name: 'authorization-header',
    pattern: /(\b(?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:bearer|basic|token|bot)[ \t]+)([^\s"'<>,;\\]{6,})/gi,
    group: 2,
  },
  // user:password@ in a URL: how git and curl print a clone URL carrying a token.
  { name: 'url-credentials', pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"'<>]+:)([^\s/@"'<>]{6,})(?=@)/gi, group: 2 },
];

/**
 * Something every pattern needs (its prefix, label or `://`): one scan that
 * rules out most text, API answers being thousands of short strings.
 */
const ANY_PATTERN = /gh[pousr]_|github_pat_|sk-|AKIA|ASIA|access_?key|session_?token|xox[abprs]-|glpat-|AIza|eyJ|authorization|:\/\/[^\s/:@]+:[^\s/@]+@/i;

/** Replaces every credential recognisable by its shape with `[REDACTED]`, keeping labels around it. */
export function redactSecretPatterns(text: string): string {
  if (!ANY_PATTERN.test(text)) return text;
  let out = text;
  for (const { pattern, group, accept } of PATTERNS) {
    out = out.replace(pattern, (match: string, ...groups: unknown[]) => {
      const secret = group === undefined ? match : String(groups[group - 1] ?? '');
      if (accept && !accept(secret)) return match;
      if (group === undefined) return REDACTED;
      // The label before the secret stays; labelled patterns end with the secret.
      return `${match.slice(0, match.length - secret.length)}${REDACTED}`;
    });
  }
  return out;
}

/** The pattern names, for tests and documentation. */
export const SECRET_PATTERN_NAMES: readonly string[] = PATTERNS.map((p) => p.name);
