import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelApiEmulator } from '../../../src/sandbox/model-api/index.js';
import { parseSse, postJson } from './read-sse.js';

const WRITE_TOOL = { name: 'Write', input_schema: { type: 'object', properties: { file_path: { type: 'string' }, content: { type: 'string' } } } };
const anthropicBody = (stream: boolean) => ({ model: 'claude-sonnet-4-5', max_tokens: 10, stream, tools: [WRITE_TOOL], messages: [{ role: 'user', content: 'hi' }] });

describe('model-api emulator: faults', () => {
  const emulator = new ModelApiEmulator({ script: { turns: [{ text: 'Hello there, this is a scripted answer.' }] } });
  let messages: string;

  beforeAll(async () => {
    await emulator.start();
    messages = `${emulator.url}/v1/messages`;
  });

  afterEach(() => {
    emulator.clearFaults();
    emulator.releaseStalls();
    emulator.clearRequests();
  });

  afterAll(() => emulator.stop());

  it('answers 529 overloaded_error with retry-after for N requests, then recovers', async () => {
    emulator.injectFault({ kind: 'status', status: 529, retryAfterSeconds: 2, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const res = await postJson(messages, anthropicBody(false));
      expect(res.status).toBe(529);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.body).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    }
    expect((await postJson(messages, anthropicBody(false))).status).toBe(200);
    expect(emulator.requests.map((r) => r.outcome)).toEqual([529, 529, 200]);
    // A refused request is still logged with the turn it would have played.
    expect(emulator.requests[0]).toMatchObject({ role: 'turn', turn: 0, fault: 'status', model: 'claude-sonnet-4-5' });
    expect(emulator.turnRequests()).toHaveLength(1);
  });

  it('scopes a fault to scripted turns, leaving side requests (titles) alone', async () => {
    emulator.injectFault({ kind: 'status', status: 529, role: 'turn' });
    const side = await postJson(messages, { ...anthropicBody(false), tools: [] });
    expect(side.status).toBe(200);
    expect((await postJson(messages, anthropicBody(false))).status).toBe(529);
  });

  it('keeps an overloaded storm going for every model call, but not for count_tokens or other APIs', async () => {
    emulator.injectFault({ kind: 'status', status: 529, api: 'anthropic' });
    for (let i = 0; i < 5; i += 1) expect((await postJson(messages, anthropicBody(false))).status).toBe(529);
    expect((await postJson(`${messages}/count_tokens`, anthropicBody(false))).status).toBe(200);
    expect((await postJson(`${emulator.openaiBaseUrl}/responses`, { model: 'gpt-5.5', input: 'hi' })).status).toBe(200);
  });

  it("shapes errors as each vendor does: OpenAI 429 rate_limit_exceeded, Gemini 503 UNAVAILABLE", async () => {
    emulator.injectFault({ kind: 'status', status: 429, api: 'openai', retryAfterSeconds: 1, message: 'Rate limit reached' });
    emulator.injectFault({ kind: 'status', status: 503, api: 'gemini', message: 'The model is overloaded.' });
    const openai = await postJson(`${emulator.openaiBaseUrl}/responses`, { model: 'gpt-5.5', input: 'hi' });
    expect(openai).toMatchObject({ status: 429, body: { error: { code: 'rate_limit_exceeded', message: 'Rate limit reached' } } });
    const gemini = await postJson(`${emulator.url}/v1beta/models/gemini-2.5-pro:generateContent`, { contents: [] });
    expect(gemini).toMatchObject({ status: 503, body: { error: { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded.' } } });
  });

  it('delays the first byte', async () => {
    emulator.injectFault({ kind: 'delay', ms: 400, times: 1 });
    const started = Date.now();
    const res = await fetch(messages, { method: 'POST', body: JSON.stringify(anthropicBody(true)) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(parseSse(await res.text()).at(-1)!.event).toBe('message_stop');
  });

  it('stalls: accepts the request and never answers until released', async () => {
    emulator.injectFault({ kind: 'stall', times: 1 });
    await expect(fetch(messages, { method: 'POST', body: JSON.stringify(anthropicBody(true)), signal: AbortSignal.timeout(400) })).rejects.toThrow();
    expect(emulator.requests.at(-1)!.outcome).toBe('stalled');
    expect((await postJson(messages, anthropicBody(false))).status).toBe(200);
  });

  it('stalls a stream after its first events, leaving the connection open', async () => {
    emulator.injectFault({ kind: 'stall-stream', afterEvents: 2, times: 1 });
    const res = await fetch(messages, { method: 'POST', body: JSON.stringify(anthropicBody(true)) });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const readFor = async (ms: number) => {
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms));
      for (;;) {
        const next = await Promise.race([reader.read(), timeout]);
        if (next === 'timeout') return 'stalled';
        if (next.done) return 'ended';
        text += new TextDecoder().decode(next.value);
      }
    };
    expect(await readFor(400)).toBe('stalled');
    expect(parseSse(text).map((e) => e.event)).toEqual(['message_start', 'ping']);
    expect(emulator.requests.at(-1)!.outcome).toBe('stalled-stream');
    emulator.releaseStalls();
    expect(await readFor(2_000)).toBe('ended');
  });

  it('cuts a stream after its first event', async () => {
    emulator.injectFault({ kind: 'cut-stream', times: 1 });
    const res = await fetch(messages, { method: 'POST', body: JSON.stringify(anthropicBody(true)) });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(emulator.requests.at(-1)!.outcome).toBe('cut');
  });
});
