import type { LogFormat } from '../config/index.js';

export interface LogFormatContext {
  /** `LOG_FORMAT` as the operator set it; unset = decide from the rest. */
  requested: LogFormat | undefined;
  production: boolean;
  /** Whether the lines go to a terminal a person is reading. */
  isTTY: boolean;
}

/**
 * Pretty one-line logs for a person at a terminal; JSON for everything else
 * (a pipe, a file, a container's log collector, production). An explicit
 * LOG_FORMAT wins either way: JSON on a laptop to pipe into jq, or pretty
 * lines from a container whose logs a person tails.
 */
export function chooseLogFormat(context: LogFormatContext): LogFormat {
  if (context.requested) return context.requested;
  return context.isTTY && !context.production ? 'pretty' : 'json';
}
