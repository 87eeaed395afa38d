import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { CONFIG_VARIABLES, SecretRegistry, loadConfig } from '../../src/config/index.js';

const strongSecret = 'a'.repeat(64);

function problemsOf(env: Record<string, string>, readFile?: (path: string) => string): string[] {
  try {
    loadConfig(env, readFile ? { readFile } : {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('applies the documented defaults and reports sandbox mode without App credentials', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe('./data');
    expect(config.pollIntervalMs).toBe(60_000);
    expect(config.dedupWindowHours).toBe(24);
    expect(config.logLevel).toBe('info');
    expect(config.sandbox).toBe(true);
    expect(config.github.baseUrl).toBe('https://api.github.com');
    expect(config.runnerTokenSecret).toBeUndefined();
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ PORT: '4000' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.github)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('names every bad key with its fix in one error', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      RUNNER_TOKEN_SECRET: 'short',
      GHE_PROTOCOL: 'ftp',
      LOG_LEVEL: 'loud',
      RUNNER_MODE: 'turbo',
      POLL_INTERVAL_MS: '-5',
      LINEAR_API_URL: 'not a url',
      JIRA_HOST: 'https://acme.atlassian.net',
      APP_ID: 'abc',
    });
    const text = problems.join('\n');
    for (const key of ['PORT', 'RUNNER_TOKEN_SECRET', 'GHE_PROTOCOL', 'LOG_LEVEL', 'RUNNER_MODE', 'POLL_INTERVAL_MS', 'LINEAR_API_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'APP_ID']) {
      expect(text, `${key} should be named`).toContain(key);
    }
    expect(text).toContain('RUNNER_TOKEN_SECRET must be at least 32 bytes; generate one with: openssl rand -hex 32');
  });

  it('requires a private key with APP_ID and reads PRIVATE_KEY_PATH through the injected reader', () => {
    expect(problemsOf({ APP_ID: '123' }).join('\n')).toMatch(/PRIVATE_KEY/);
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIabcdefghijklmnopqrstuvwxyz0123\n-----END RSA PRIVATE KEY-----\n';
    const config = loadConfig({ APP_ID: '123', PRIVATE_KEY_PATH: '/keys/app.pem', RUNNER_CALLBACK_BASE_URL: 'https://ai.example.com' }, { readFile: (p) => (p === '/keys/app.pem' ? pem : '') });
    expect(config.github.privateKey).toBe(pem);
    expect(config.sandbox).toBe(false);
    const missing = problemsOf({ APP_ID: '123', PRIVATE_KEY_PATH: '/nope/app.pem' }).join('\n');
    expect(missing).toContain('PRIVATE_KEY_PATH cannot be read: /nope/app.pem');
  });

  it('requires an https RUNNER_CALLBACK_BASE_URL when runs can go to a real GitHub Actions or Fly, naming the variable and the fix', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIabcdefghijklmnopqrstuvwxyz0123\n-----END RSA PRIVATE KEY-----\n';
    const onGitHub = problemsOf({ APP_ID: '123', PRIVATE_KEY: pem }).join('\n');
    expect(onGitHub).toContain('RUNNER_CALLBACK_BASE_URL is required when runs can go to GitHub Actions');
    expect(onGitHub).toContain('set it to the public https URL of this orchestrator');
    expect(problemsOf({ APP_ID: '123', PRIVATE_KEY: pem, GHE_HOST: '127.0.0.1:4010', GHE_PROTOCOL: 'http', FLY_API_TOKEN: 'fly-token' }).join('\n')).toContain('required when runs can go to Fly Machines');
    expect(problemsOf({ APP_ID: '123', PRIVATE_KEY: pem, RUNNER_CALLBACK_BASE_URL: 'http://ai.example.com' }).join('\n')).toContain('RUNNER_CALLBACK_BASE_URL must be https (plain http only on loopback), not http://ai.example.com');
    // Emulated backends on loopback, everything local, or http on loopback: nothing to refuse.
    expect(() => loadConfig({ APP_ID: '123', PRIVATE_KEY: pem, GHE_HOST: '127.0.0.1:4010', GHE_PROTOCOL: 'http', FLY_API_TOKEN: 't', FLY_API_URL: 'http://127.0.0.1:4020' })).not.toThrow();
    expect(() => loadConfig({ APP_ID: '123', PRIVATE_KEY: pem, RUNNER_MODE: 'local' })).not.toThrow();
    expect(() => loadConfig({ APP_ID: '123', PRIVATE_KEY: pem, RUNNER_CALLBACK_BASE_URL: 'http://127.0.0.1:3000' })).not.toThrow();
  });

  it('builds the GitHub base URL from GHE_HOST and GHE_PROTOCOL and accepts the webhook secret alias', () => {
    const config = loadConfig({ GHE_HOST: '127.0.0.1:4010', GHE_PROTOCOL: 'http', WEBHOOK_SECRET: 'hook-secret-1' });
    expect(config.github.baseUrl).toBe('http://127.0.0.1:4010/api/v3');
    expect(config.github.webhookSecret).toBe('hook-secret-1');
  });

  it('requires ADMIN_ACCESS_CODE of at least 20 characters: login is throttled per address only, so length is the defence', () => {
    expect(problemsOf({ ADMIN_ACCESS_CODE: 'a'.repeat(19) }).join('\n')).toContain('ADMIN_ACCESS_CODE must be at least 20 characters; use a long random code');
    expect(loadConfig({ ADMIN_ACCESS_CODE: 'a'.repeat(20) }).adminAccessCode).toBe('a'.repeat(20));
  });

  it('registers every secret for redaction', () => {
    const secrets = new SecretRegistry();
    loadConfig({ RUNNER_TOKEN_SECRET: strongSecret, LINEAR_API_KEY: 'lin_api_secretvalue', ADMIN_ACCESS_CODE: 'open-sesame-open-sesame-123' }, { secrets });
    const line = `token=${strongSecret} key=lin_api_secretvalue code=open-sesame-open-sesame-123 port=3000`;
    expect(secrets.redact(line)).toBe('token=[REDACTED] key=[REDACTED] code=[REDACTED] port=3000');
  });

  it('documents every variable of the design table', () => {
    const names = new Set(CONFIG_VARIABLES.map((v) => v.name));
    for (const name of ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'GITHUB_WEBHOOK_SECRET', 'WEBHOOK_SECRET', 'GHE_HOST', 'GHE_PROTOCOL', 'LINEAR_API_KEY', 'LINEAR_API_URL', 'LINEAR_WEBHOOK_SECRET', 'LINEAR_AGENT_USER', 'JIRA_HOST', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_WEBHOOK_SECRET', 'FLY_API_TOKEN', 'FLY_API_URL', 'FLY_GRAPHQL_URL', 'FLY_SESSIONS_APP', 'FLY_SESSIONS_REGION', 'RUNNER_MODE', 'RUNNER_TOKEN_SECRET', 'RUNNER_CALLBACK_BASE_URL', 'GAP_FILL_TRIGGER_SECRET', 'ADMIN_ACCESS_CODE', 'POLL_INTERVAL_MS', 'DEDUP_WINDOW_HOURS', 'LOG_LEVEL']) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it('says each bad variable in a sentence: the variable, what is wrong, and a right value', () => {
    const problems = problemsOf({ LOG_FORMAT: 'loud', NODE_ENV: 'prod', PORT: 'eighty', LINEAR_API_URL: 'linear', APP_ID: 'my-app', GHE_PROTOCOL: 'gopher' });
    expect(problems).toEqual(
      expect.arrayContaining([
        // bad enum: the allowed values and the one sent
        'LOG_FORMAT must be one of "pretty", "json" (got "loud")',
        'NODE_ENV must be one of "production", "development", "test" (got "prod")',
        'GHE_PROTOCOL must be one of "http", "https" (got "gopher")',
        // out of range / wrong type: the bounds and an example
        'PORT must be a whole number from 0 to 65535 (got "eighty"), e.g. 3000',
        // bad format: what it must be and an example
        'LINEAR_API_URL must be an http(s) URL, e.g. https://api.linear.app/graphql',
        'APP_ID must be the numeric id shown on the GitHub App settings page, e.g. 123456',
      ]),
    );
    expect(problems.join('\n')).not.toMatch(/Invalid (input|option)|expected \w+, received/);
  });

  it('says which variable is missing, why it is needed and a right value', () => {
    const problems = problemsOf({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_EMAIL: 'ops@acme.com' });
    expect(problems).toEqual(['JIRA_API_TOKEN is required when JIRA_HOST is set (Jira basic auth), e.g. JIRA_API_TOKEN=<a token from id.atlassian.com/manage-profile/security/api-tokens>']);
    expect(problemsOf({ PRIVATE_KEY_PATH: '/run/secrets/app.pem' }, () => '-----BEGIN RSA PRIVATE KEY-----')).toEqual([
      'APP_ID is required when a private key is set: the numeric id shown on the GitHub App settings page, e.g. APP_ID=123456',
    ]);
  });

  it('takes LOG_FORMAT pretty or json, unset by default', () => {
    expect(loadConfig({}).logFormat).toBeUndefined();
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });
});
