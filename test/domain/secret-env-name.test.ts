import { describe, expect, it } from 'vitest';
import { isSecretEnvName } from '../../src/domain/secret-env-name.js';

describe('which environment names hold credentials', () => {
  it('counts names with a credential word', () => {
    for (const name of ['NPM_TOKEN', 'OPENAI_API_KEY', 'ANTHROPIC_APIKEY', 'GITHUBTOKEN', 'DB_PASSWORD', 'SMTP_PASS', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_CREDENTIALS', 'SENTRY_DSN', 'NPM_AUTH', 'SSH_PRIVATE_KEY', 'SESSION_COOKIE', 'DB_PWD', 'GPG_PASSPHRASE']) {
      expect(isSecretEnvName(name), name).toBe(true);
    }
  });

  it('leaves ordinary names alone', () => {
    for (const name of ['NODE_ENV', 'PATH', 'PWD', 'AUTHOR_NAME', 'BYPASS_CACHE', 'LOG_LEVEL', 'REGION', 'PASSTHROUGH_MODE', 'KEYBOARD_LAYOUT']) {
      expect(isSecretEnvName(name), name).toBe(false);
    }
  });
});
