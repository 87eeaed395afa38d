import { Writable } from 'node:stream';
import { SecretRegistry } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/logging/create-logger.js';

/** A real pino logger whose lines are kept in memory so tests can read them. */
export function createTestLogger(secrets = new SecretRegistry(), level: 'debug' | 'info' | 'silent' = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: createLogger({ level, format: 'json', secrets, destination }), lines };
}
