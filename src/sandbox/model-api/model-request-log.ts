import type { IncomingHttpHeaders } from 'node:http';
import type { ModelApiKind, ModelFault } from './model-faults.js';
import type { ToolResultSeen } from './model-reply.js';
import type { PlannedCall } from './plan-tool-call.js';

/** One request as the emulator saw and answered it. Secrets are already scrubbed. */
export interface ModelApiRequest {
  /** `Date.now()` when the request arrived; compare with a spawn time for time-to-first-request. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** The wire format, when the route is a model or count-tokens route. */
  api?: ModelApiKind;
  /**
   * `'turn'`: a model call answered from the script (with `fault` set, the turn
   * a fault refused or disturbed); `'side'`: a model call offering no tools
   * (titles, checks); `'other'`: probes, counts and unknown routes.
   */
  role: 'turn' | 'side' | 'other';
  /** The conversation (script key) the request was matched to. */
  conversation?: string;
  /** Index of the scripted turn played. */
  turn?: number;
  model?: string;
  toolResults?: ToolResultSeen[];
  /** The tool call the response carried. */
  call?: PlannedCall;
  /** Why a scripted tool call could not be mapped to an offered tool. */
  planError?: string;
  /** The fault applied to this request, if any. */
  fault?: ModelFault['kind'];
  /** The status answered, or what a fault did instead. */
  outcome?: number | 'stalled' | 'cut' | 'stalled-stream';
}

const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'cookie', 'proxy-authorization', 'api-key']);
const SECRET_QUERY = new Set(['key', 'api_key']);

/** Header values with credentials replaced, so a log or test failure never prints a key. */
export function scrubHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function scrubQuery(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of query) out[name] = SECRET_QUERY.has(name) ? '[redacted]' : value;
  return out;
}

/** The credential a request carries, whatever the vendor's header; it selects the conversation script. */
export function credentialOf(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const bearer = /^bearer\s+(.+)$/i.exec(header('authorization') ?? '')?.[1];
  return header('x-api-key') ?? header('x-goog-api-key') ?? bearer ?? query.get('key') ?? undefined;
}
