/**
 * Whether an environment variable's name says its value is a credential:
 * `NPM_TOKEN`, `OPENAI_API_KEY`, `DB_PASSWORD`, `SENTRY_DSN`, `AWS_SECRET_ACCESS_KEY`.
 * Judged per `_`-separated word, so `AUTHOR_NAME`, `BYPASS_CACHE` or
 * `PWD_HINT_TEXT` do not count while `APIKEY` and `GITHUBTOKEN` still do.
 * A name that wrongly counts only makes its value scrubbed from text.
 */
const SECRET_WORD = /^(?:[A-Z0-9]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL)S?|AUTH|PASS|PWD|PRIVATE|DSN|COOKIE|SESSION)$/;

export function isSecretEnvName(name: string): boolean {
  const words = name.toUpperCase().split('_');
  // A lone PWD is the shell's working directory, not a password.
  if (words.length === 1 && words[0] === 'PWD') return false;
  return words.some((word) => SECRET_WORD.test(word));
}
