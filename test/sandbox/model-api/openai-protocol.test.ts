import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelApiEmulator } from '../../../src/sandbox/model-api/index.js';
import { postJson, postSse, type SseEvent } from './read-sse.js';

const HEADERS = { authorization: 'Bearer sk-openai-protocol' };
const USAGE = { input: 30, cacheRead: 600, cacheWrite: 20, output: 12, reasoning: 4 };
const SHELL = { type: 'function', name: 'shell_command', parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } };
const APPLY_PATCH = { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: begin_patch' } };
const userMessage = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'write a.txt' }] };

const data = (events: SseEvent[], type: string) => events.filter((e) => e.event === type).map((e) => e.data as Record<string, unknown>);

describe('model-api emulator: OpenAI Responses', () => {
  const emulator = new ModelApiEmulator();
  let url: string;

  beforeAll(async () => {
    await emulator.start();
    url = `${emulator.openaiBaseUrl}/responses`;
    emulator.setScript(
      { turns: [{ text: 'Patching.', tool: { kind: 'write-file', path: 'a.txt', content: 'A\n' } }, { text: 'Finished.' }], usage: USAGE },
      { apiKey: 'sk-openai-protocol', name: 'openai' },
    );
  });

  afterAll(() => emulator.stop());

  it('streams a message and a freeform apply_patch call, then response.completed with cache and reasoning usage', async () => {
    const { status, events } = await postSse(url, { model: 'gpt-5.5', stream: true, input: [userMessage], tools: [SHELL, APPLY_PATCH] }, HEADERS);
    expect(status).toBe(200);
    expect(events[0]!.event).toBe('response.created');
    expect(events.at(-1)!.event).toBe('response.completed');
    expect(events.map((e) => (e.data as { sequence_number: number }).sequence_number)).toEqual(events.map((_, i) => i));
    expect(data(events, 'response.output_text.delta').map((d) => d.delta).join('')).toBe('Patching.');

    const added = data(events, 'response.output_item.added').map((d) => d.item as Record<string, unknown>);
    expect(added.map((i) => i.type)).toEqual(['message', 'custom_tool_call']);
    const input = data(events, 'response.custom_tool_call_input.delta').map((d) => d.delta).join('');
    expect(input).toBe('*** Begin Patch\n*** Add File: a.txt\n+A\n*** End Patch\n');
    expect(data(events, 'response.custom_tool_call_input.done')[0]).toMatchObject({ input, output_index: 1 });
    const done = data(events, 'response.output_item.done').map((d) => d.item);
    expect(done[1]).toEqual({ id: 'ctc_emu_openai_0', type: 'custom_tool_call', status: 'completed', call_id: 'call_emu_openai_0', name: 'apply_patch', input });

    const completed = data(events, 'response.completed')[0]!.response as Record<string, unknown>;
    expect(completed).toMatchObject({ id: 'resp_emu_openai_0', status: 'completed', model: 'gpt-5.5' });
    expect(completed.usage).toEqual({
      input_tokens: 650,
      input_tokens_details: { cached_tokens: 600, cache_write_tokens: 20 },
      output_tokens: 16,
      output_tokens_details: { reasoning_tokens: 4 },
      total_tokens: 666,
    });
  });

  it('streams a JSON function call when that is what the request offers', async () => {
    const { events } = await postSse(url, { model: 'gpt-5.1', stream: true, input: [userMessage], tools: [SHELL] }, HEADERS);
    const args = data(events, 'response.function_call_arguments.delta').map((d) => d.delta).join('');
    expect(JSON.parse(args)).toEqual({ command: "printf '%s' 'A\n' > 'a.txt'" });
    expect(data(events, 'response.function_call_arguments.done')[0]).toMatchObject({ arguments: args, name: 'shell_command' });
    expect(data(events, 'response.output_item.done').at(-1)!.item).toMatchObject({ type: 'function_call', call_id: 'call_emu_openai_0', arguments: args });
  });

  it('plays the next turn after a custom_tool_call_output, and answers without stream as a response object', async () => {
    const input = [
      userMessage,
      { type: 'custom_tool_call', call_id: 'call_emu_openai_0', name: 'apply_patch', input: '...' },
      { type: 'custom_tool_call_output', call_id: 'call_emu_openai_0', output: 'Success. Updated the following files:\nA a.txt' },
    ];
    const { body } = await postJson(url, { model: 'gpt-5.5', input, tools: [APPLY_PATCH] }, HEADERS);
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Finished.' }] }],
      usage: { input_tokens: 650 },
    });
    expect(emulator.requests.at(-1)).toMatchObject({ api: 'openai', role: 'turn', turn: 1, toolResults: [{ callId: 'call_emu_openai_0' }] });
  });

  it('lists models for clients that ask', async () => {
    const res = await fetch(`${emulator.openaiBaseUrl}/models`, { headers: HEADERS });
    expect(await res.json()).toMatchObject({ object: 'list', data: expect.arrayContaining([expect.objectContaining({ id: 'gpt-5.5', object: 'model' })]) });
  });
});
