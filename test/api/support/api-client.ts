export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A tiny JSON client over real HTTP (fetch), so the tests see exactly what an operator's script sees. */
export function apiClient(baseUrl: string) {
  const call = async (method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // A non-JSON answer is itself a finding: keep the text for the assertion message.
      body = { nonJson: text };
    }
    return { status: res.status, body, headers: res.headers };
  };
  const login = async (code: string, headers: Record<string, string> = {}): Promise<string> => {
    const answer = await call('POST', '/api/auth', { body: { code }, headers });
    if (answer.status !== 200 || typeof answer.body.token !== 'string') throw new Error(`login failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.token;
  };
  return { call, login };
}

export type ApiClient = ReturnType<typeof apiClient>;
