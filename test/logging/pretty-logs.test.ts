import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/create-logger.js';

function collect(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { destination, lines };
}

describe('pretty logs', () => {
  it('writes one line per event: time, level, ticket and run, the message and its summary, nothing else', () => {
    const { destination, lines } = collect();
    const log = createLogger({ level: 'info', format: 'pretty', secrets: new SecretRegistry(), destination });
    const run = log.child({ component: 'dispatch', runId: '00b0579a-e12c-4f2d-8519-6004d01a8804', issue: 'DEMO-1' });
    run.info({ upstreamId: 'local-1234-run_8f2c', pid: 1234 }, 'local runner started');
    run.warn({ code: 1, summary: 'code 1, 312 lines, last: npm ERR! test failed' }, 'local runner exited');
    log.child({ runId: 'run_1' }).info({ identifier: 'OPS-7' }, 'run finished');
    log.error({ err: new Error('connect ECONNREFUSED 127.0.0.1:1\n    at somewhere') }, 'poll failed');
    log.debug('not shown at info');

    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: \[DEMO-1 00b0579a\] local runner started$/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: \[DEMO-1 00b0579a\] local runner exited: code 1, 312 lines, last: npm ERR! test failed$/);
    expect(lines[2]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: \[OPS-7 run_1\] run finished$/);
    expect(lines[3]).toMatch(/^\[\d\d:\d\d:\d\d\] ERROR: poll failed: connect ECONNREFUSED 127\.0\.0\.1:1 at somewhere$/);
    // No JSON, no pid or component noise, and no escape codes on a stream that is not a terminal.
    expect(lines.join('\n')).not.toMatch(/[{}]|pid|component|e12c|\u001b\[/);
  });

  it('scrubs secrets in pretty lines as in JSON ones', () => {
    const { destination, lines } = collect();
    const secrets = new SecretRegistry();
    secrets.register('super-secret-access-code');
    const log = createLogger({ level: 'info', format: 'pretty', secrets, destination });
    log.warn({ summary: 'printed super-secret-access-code' }, 'operator typed super-secret-access-code');
    expect(lines.join('\n')).not.toContain('super-secret-access-code');
    expect(lines.join('\n')).toContain('[REDACTED]');
  });

  it('writes JSON lines in the json format', () => {
    const { destination, lines } = collect();
    const log = createLogger({ level: 'info', format: 'json', secrets: new SecretRegistry(), destination });
    log.child({ runId: 'run_1' }).info('hello');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, runId: 'run_1', msg: 'hello' });
  });
});
