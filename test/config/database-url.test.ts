import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { SecretRegistry, loadConfig } from '../../src/config/index.js';

function problemOf(url: string): string | undefined {
  try {
    loadConfig({ DATABASE_URL: url });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.find((p) => p.startsWith('DATABASE_URL'));
  }
  return undefined;
}

describe('DATABASE_URL', () => {
  it('is unset by default: the embedded store', () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: '  ' }).databaseUrl).toBeUndefined();
  });

  it('accepts postgres:// and postgresql:// URLs with a host or a socket directory', () => {
    for (const url of [
      'postgres://ai:secret@db.internal:5432/ai_implement',
      'postgresql://db.internal/ai_implement?sslmode=require',
      'postgres://127.0.0.1/test',
      'postgresql:///ai_implement?host=/var/run/postgresql',
    ]) {
      expect(problemOf(url), url).toBeUndefined();
      expect(loadConfig({ DATABASE_URL: ` ${url} ` }).databaseUrl).toBe(url);
    }
  });

  it('names the expected form for anything else', () => {
    for (const url of ['mysql://db/x', 'db.internal:5432/ai', 'http://db.internal/x', 'postgres://', 'postgres:///nohost']) {
      expect(problemOf(url), url).toMatch(/^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL with a host, e.g. postgres:\/\//);
    }
  });

  it('is a secret: its password never reaches a log line', () => {
    const secrets = new SecretRegistry();
    loadConfig({ DATABASE_URL: 'postgres://ai:hunter2-long-password@db.internal/ai' }, { secrets });
    expect(secrets.redact('connecting to postgres://ai:hunter2-long-password@db.internal/ai')).not.toContain('hunter2');
  });
});
