import type { ModelApiKind } from './model-faults.js';

/** What a request asks for. One server answers all three vendors, so the path decides the wire format. */
export type ModelRoute =
  | { op: 'messages'; api: 'anthropic' }
  | { op: 'count-tokens'; api: ModelApiKind; model?: string }
  | { op: 'responses'; api: 'openai' }
  | { op: 'generate'; api: 'gemini'; model: string; stream: boolean }
  /** Claude Code's connectivity probe (`HEAD /api/hello`) and plain `GET /`. */
  | { op: 'probe'; api?: undefined }
  /** `GET /v1/models` (Anthropic and OpenAI share the path). */
  | { op: 'models'; api?: undefined }
  | { op: 'unknown'; api?: undefined };

/** Classifies a request by method and path (the query string already removed). */
export function classifyRoute(method: string, path: string): ModelRoute {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (method === 'POST') {
    if (clean === '/v1/messages') return { op: 'messages', api: 'anthropic' };
    if (clean === '/v1/messages/count_tokens') return { op: 'count-tokens', api: 'anthropic' };
    if (clean === '/v1/responses') return { op: 'responses', api: 'openai' };
    const gemini = /^\/v1(?:beta|alpha)?\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/.exec(clean);
    if (gemini) {
      const model = decodeURIComponent(gemini[1]!);
      if (gemini[2] === 'countTokens') return { op: 'count-tokens', api: 'gemini', model };
      return { op: 'generate', api: 'gemini', model, stream: gemini[2] === 'streamGenerateContent' };
    }
  }
  if ((method === 'HEAD' || method === 'GET') && (clean === '/api/hello' || clean === '/')) return { op: 'probe' };
  if (method === 'GET' && (clean === '/v1/models' || clean === '/v1beta/models')) return { op: 'models' };
  return { op: 'unknown' };
}
