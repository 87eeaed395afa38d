import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { prettyMessage } from './pretty-message.js';
import type { LogFormat, LogLevel } from '../config/index.js';
import type { SecretRegistry } from '../config/secret-registry.js';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  level: LogLevel;
  /** `json` in production; `pretty` for a person reading a terminal (see chooseLogFormat). */
  format: LogFormat;
  secrets: SecretRegistry;
  /** Where lines go, in either format; stdout when unset. Tests pass a collecting stream. */
  destination?: DestinationStream;
  name?: string;
}

/**
 * Fields that hold credentials wherever they appear. pino's path redaction
 * covers structured fields; the registry scrubs every line as written, of the
 * values it knows (configured, set through the API, minted) and of
 * credential shapes nobody registered (an error message quoting a URL with a
 * token, an agent's key in a failure reason, say).
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.cookie',
  'res.headers["set-cookie"]',
  'headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature-256"]',
  'headers["x-hub-signature"]',
  'req.headers["x-hub-signature"]',
  'headers["linear-signature"]',
  'req.headers["linear-signature"]',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'accessCode',
  '*.accessCode',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'privateKey',
  '*.privateKey',
  'value',
  'secrets',
];

export function createLogger(options: CreateLoggerOptions): Logger {
  const destination =
    options.format === 'pretty'
      ? pinoPretty({
          // Colours only for a terminal; a test's stream or a pipe gets plain text.
          colorize: options.destination === undefined && process.stdout.isTTY === true,
          sync: true,
          translateTime: 'SYS:HH:MM:ss',
          // One line per event: the run/ticket, the message and its summary; the rest is in the JSON format.
          hideObject: true,
          messageFormat: prettyMessage,
          ignore: 'pid,hostname,name',
          ...(options.destination ? { destination: options.destination as NodeJS.WritableStream } : {}),
        })
      : (options.destination ?? pino.destination({ sync: true }));
  return pino(
    {
      name: options.name ?? 'ai-implement',
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: (line) => options.secrets.redact(line) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination,
  );
}
