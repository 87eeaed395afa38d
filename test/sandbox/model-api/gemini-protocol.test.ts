import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelApiEmulator } from '../../../src/sandbox/model-api/index.js';
import { postJson, postSse } from './read-sse.js';

const HEADERS = { 'x-goog-api-key': 'gemini-protocol-key' };
const USAGE = { input: 40, cacheRead: 800, output: 15, reasoning: 6 };
const TOOLS = [
  {
    functionDeclarations: [
      { name: 'write_file', parametersJsonSchema: { type: 'object', properties: { file_path: { type: 'string' }, content: { type: 'string' } }, required: ['file_path', 'content'] } },
    ],
  },
];
const user = { role: 'user', parts: [{ text: 'write a.txt' }] };

describe('model-api emulator: Gemini generateContent', () => {
  const emulator = new ModelApiEmulator();
  let base: string;

  beforeAll(async () => {
    await emulator.start();
    base = `${emulator.geminiBaseUrl}/v1beta/models/gemini-2.5-pro`;
    emulator.setScript(
      { turns: [{ text: 'Writing.', tool: { kind: 'write-file', path: '/w/a.txt', content: 'A\n' } }, { text: 'Finished now.' }], usage: USAGE },
      { apiKey: 'gemini-protocol-key', name: 'gemini' },
    );
  });

  afterAll(() => emulator.stop());

  it('streams data-only SSE chunks; the last carries the functionCall, finishReason and usageMetadata', async () => {
    const { status, events } = await postSse(`${base}:streamGenerateContent?alt=sse`, { contents: [user], tools: TOOLS }, HEADERS);
    expect(status).toBe(200);
    expect(events.every((e) => e.event === undefined)).toBe(true);
    type Chunk = { candidates: Array<{ content: { role: string; parts: Array<Record<string, unknown>> }; finishReason?: string }>; usageMetadata?: unknown };
    const chunks = events.map((e) => e.data as Chunk);
    const texts = chunks.flatMap((c) => c.candidates[0]!.content.parts).map((p) => p.text).filter(Boolean);
    expect(texts.join('')).toBe('Writing.');
    const last = chunks.at(-1)!;
    expect(last.candidates[0]).toMatchObject({ finishReason: 'STOP', content: { role: 'model', parts: [{ functionCall: { name: 'write_file', args: { file_path: '/w/a.txt', content: 'A\n' } } }] } });
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: 840, cachedContentTokenCount: 800, candidatesTokenCount: 15, thoughtsTokenCount: 6, totalTokenCount: 861 });
    expect(chunks.slice(0, -1).every((c) => c.usageMetadata === undefined)).toBe(true);
  });

  it('plays the next turn after a functionResponse and answers generateContent as one response', async () => {
    const contents = [
      user,
      { role: 'model', parts: [{ functionCall: { name: 'write_file', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'call_emu_gemini_0', name: 'write_file', response: { output: 'ok' } } }] },
    ];
    const { body } = await postJson(`${base}:generateContent`, { contents, tools: TOOLS }, HEADERS);
    expect(body).toMatchObject({ candidates: [{ content: { parts: [{ text: 'Finished now.' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 840 } });
    expect(emulator.requests.at(-1)).toMatchObject({ api: 'gemini', role: 'turn', turn: 1, model: 'gemini-2.5-pro' });
  });

  it('answers JSON side checks with JSON, and counts tokens', async () => {
    const { body } = await postJson(`${base}:generateContent`, { contents: [user], generationConfig: { responseMimeType: 'application/json' } }, HEADERS);
    const text = (body as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> }).candidates[0]!.content.parts[0]!.text;
    expect(JSON.parse(text)).toMatchObject({ next_speaker: 'user' });
    const count = await postJson(`${base}:countTokens`, { contents: [user] }, HEADERS);
    expect(count.body.totalTokens).toBeGreaterThan(0);
    expect(emulator.requests.at(-1)!.headers['x-goog-api-key']).toBe('[redacted]');
  });
});
