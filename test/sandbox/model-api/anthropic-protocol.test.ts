import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelApiEmulator } from '../../../src/sandbox/model-api/index.js';
import { postJson, postSse } from './read-sse.js';

const WRITE_TOOL = {
  name: 'Write',
  description: 'Writes a file',
  input_schema: { type: 'object', properties: { file_path: { type: 'string' }, content: { type: 'string' } }, required: ['file_path', 'content'] },
};
const USAGE = { input: 7, cacheRead: 1_000, cacheWrite: 50, output: 9 };
const HEADERS = { 'x-api-key': 'sk-ant-protocol', 'anthropic-version': '2023-06-01' };

describe('model-api emulator: Anthropic Messages', () => {
  const emulator = new ModelApiEmulator();
  let url: string;

  beforeAll(async () => {
    await emulator.start();
    url = `${emulator.anthropicBaseUrl}/v1/messages`;
    emulator.setScript(
      { turns: [{ text: 'Creating it.', tool: { kind: 'write-file', path: '/w/a.txt', content: 'A\n' } }, { text: 'Finished.' }], usage: USAGE },
      { apiKey: 'sk-ant-protocol', name: 'anthropic' },
    );
  });

  afterAll(() => emulator.stop());

  const request = (messages: unknown[], extra: Record<string, unknown> = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools: [WRITE_TOOL], messages, ...extra });
  const firstUser = { role: 'user', content: [{ type: 'text', text: 'write a.txt' }] };

  it('streams a text block and a tool_use block with cumulative usage in message_delta', async () => {
    const { status, headers, events } = await postSse(url, request([firstUser], { stream: true }), HEADERS);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(events.every((e) => e.event === (e.data as { type: string }).type)).toBe(true);

    const start = events[0]!.data as { message: { id: string; usage: Record<string, number> } };
    expect(start.message.usage).toMatchObject({ input_tokens: 7, cache_read_input_tokens: 1_000, cache_creation_input_tokens: 50 });

    const blocks = events.filter((e) => e.event === 'content_block_start').map((e) => (e.data as { index: number; content_block: Record<string, unknown> }));
    expect(blocks).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_emu_anthropic_0', name: 'Write', input: {} } },
    ]);
    const deltas = events.filter((e) => e.event === 'content_block_delta').map((e) => (e.data as { index: number; delta: Record<string, string> }));
    expect(deltas.filter((d) => d.index === 0).map((d) => d.delta.text).join('')).toBe('Creating it.');
    const json = deltas.filter((d) => d.index === 1).map((d) => {
      expect(d.delta.type).toBe('input_json_delta');
      return d.delta.partial_json;
    });
    expect(json.length).toBeGreaterThan(1);
    expect(JSON.parse(json.join(''))).toEqual({ file_path: '/w/a.txt', content: 'A\n' });
    expect(events.filter((e) => e.event === 'content_block_stop')).toHaveLength(2);
    expect(events.at(-2)!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 7, cache_creation_input_tokens: 50, cache_read_input_tokens: 1_000, output_tokens: 9 },
    });
  });

  it('plays the next turn once the history carries the tool result, and answers the same to a retry', async () => {
    const history = [
      firstUser,
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_emu_anthropic_0', name: 'Write', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_emu_anthropic_0', content: 'File created' }] },
    ];
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const { events } = await postSse(url, request(history, { stream: true }), HEADERS);
      expect(events.filter((e) => e.event === 'content_block_start')).toHaveLength(1);
      expect((events.at(-2)!.data as { delta: { stop_reason: string } }).delta.stop_reason).toBe('end_turn');
    }
    const last = emulator.requests.at(-1)!;
    expect(last).toMatchObject({ role: 'turn', turn: 1, conversation: 'anthropic', toolResults: [{ callId: 'toolu_emu_anthropic_0', isError: false, text: 'File created' }] });
  });

  it('answers a complete message without stream', async () => {
    const { status, body } = await postJson(url, request([firstUser]), HEADERS);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      stop_reason: 'tool_use',
      content: [{ type: 'text', text: 'Creating it.' }, { type: 'tool_use', id: 'toolu_emu_anthropic_0', name: 'Write', input: { file_path: '/w/a.txt', content: 'A\n' } }],
      usage: { input_tokens: 7, cache_read_input_tokens: 1_000, cache_creation_input_tokens: 50, output_tokens: 9 },
    });
  });

  it('answers a request without tools as a side request that does not advance the script', async () => {
    const { body } = await postJson(url, { model: 'claude-haiku-4-5', max_tokens: 50, messages: [firstUser] }, HEADERS);
    expect(body).toMatchObject({ content: [{ type: 'text', text: 'Scripted session' }], stop_reason: 'end_turn' });
    expect(emulator.requests.at(-1)).toMatchObject({ role: 'side' });
  });

  it('counts tokens, answers the start-up probe and logs requests with secrets scrubbed', async () => {
    const count = await postJson(`${url}/count_tokens`, { model: 'claude-sonnet-4-5', messages: [firstUser] }, HEADERS);
    expect(count.status).toBe(200);
    expect(count.body.input_tokens).toBeGreaterThan(0);
    expect((await fetch(`${emulator.url}/api/hello`, { method: 'HEAD' })).status).toBe(200);
    const logged = emulator.requests.find((r) => r.path === '/v1/messages/count_tokens')!;
    expect(logged).toMatchObject({ api: 'anthropic', role: 'other', outcome: 200, headers: { 'x-api-key': '[redacted]', 'anthropic-version': '2023-06-01' } });
    expect(logged.at).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(emulator.requests)).not.toContain('sk-ant-protocol');
  });

  it('explains in the answer, and in the log, when the request offers no tool for the scripted step', async () => {
    const readOnly = { name: 'Read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } };
    const { body } = await postJson(url, { model: 'm', max_tokens: 5, tools: [readOnly], messages: [firstUser] }, HEADERS);
    expect(body).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: expect.stringContaining('no offered tool can write-file') }] });
    expect(emulator.requests.at(-1)!.planError).toBe('no offered tool can write-file; offered: Read');
  });
});
