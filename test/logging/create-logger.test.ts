import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { createTestLogger } from '../support/test-logger.js';

describe('logger redaction', () => {
  it('censors credential fields and every registered secret, in child loggers too', () => {
    const secrets = new SecretRegistry();
    secrets.register('ghs_installationtoken123');
    secrets.register('super-secret-access-code');
    const { log, lines } = createTestLogger(secrets);
    const child = log.child({ component: 'dispatch', runId: 'run-1' });
    child.info({ req: { headers: { authorization: 'Bearer abc.def.ghi', 'x-hub-signature-256': 'sha256=deadbeef' } } }, 'incoming');
    child.info({ token: 'opaque-token-value', accessCode: 'typed-code' }, 'login attempt');
    child.error({ err: new Error('push failed: https://x-access-token:ghs_installationtoken123@github.com/acme/app.git') }, 'push failed');
    log.warn('operator typed super-secret-access-code into the wrong box');
    const text = lines.join('\n');
    for (const leaked of ['abc.def.ghi', 'deadbeef', 'opaque-token-value', 'typed-code', 'ghs_installationtoken123', 'super-secret-access-code']) {
      expect(text, leaked).not.toContain(leaked);
    }
    expect(text).toContain('[REDACTED]');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ component: 'dispatch', runId: 'run-1', msg: 'incoming' });
  });
});

describe('logger patterns', () => {
  it('scrubs credential shapes nobody registered, in messages and in error stacks, and keeps the line JSON', () => {
    const { log, lines } = createTestLogger(new SecretRegistry());
    const ghs = `ghs_${'Zq8Xw2Vb7Nm4'.repeat(3)}`;
    const anthropic = `sk-ant-api03-${'aB3dE5gH7jK9'.repeat(8)}`;
    log.warn({ runId: 'run-1' }, `agent said: export ANTHROPIC_API_KEY=${anthropic}`);
    log.error({ err: new Error(`git push https://x-access-token:${ghs}@github.com/acme/app.git failed`) }, 'push failed');
    const text = lines.join('\n');
    expect(text).not.toContain(ghs);
    expect(text).not.toContain(anthropic);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect((JSON.parse(lines[0]!) as { msg: string }).msg).toBe('agent said: export ANTHROPIC_API_KEY=[REDACTED]');
  });
});
