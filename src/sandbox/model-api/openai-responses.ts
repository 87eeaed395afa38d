import { clip, deltas, sseFrame, type ModelCall, type ModelReply, type ToolResultSeen } from './model-reply.js';
import { isRecord, offeredFunction, type OfferedTool } from './offered-tool.js';

/**
 * The OpenAI Responses API (`POST /v1/responses`), as Codex calls it through a
 * custom model provider with `wire_api = "responses"`. Event names and fields
 * follow openai-node's `ResponseStreamEvent` union; Codex itself acts on
 * `response.output_item.done` items and needs `response.completed` (with
 * `usage`) before the stream ends, else it retries the turn.
 */

export function readResponsesCall(body: unknown): ModelCall {
  const request = isRecord(body) ? body : {};
  const tools: OfferedTool[] = [];
  for (const tool of Array.isArray(request.tools) ? request.tools : []) {
    if (!isRecord(tool) || typeof tool.name !== 'string') continue;
    if (tool.type === 'function') tools.push(offeredFunction(tool.name, tool.parameters));
    // A freeform tool takes raw text (Codex's `apply_patch` for models whose metadata says so).
    if (tool.type === 'custom') tools.push({ name: tool.name, kind: 'custom', properties: {}, required: [] });
  }
  const toolResults: ToolResultSeen[] = [];
  for (const item of Array.isArray(request.input) ? request.input : []) {
    if (isRecord(item) && (item.type === 'function_call_output' || item.type === 'custom_tool_call_output')) {
      const text = outputText(item.output);
      toolResults.push({ callId: String(item.call_id ?? ''), isError: /^(error|apply_patch verification failed)/i.test(text), text: clip(text) });
    }
  }
  return {
    model: typeof request.model === 'string' ? request.model : 'gpt-emulated',
    stream: request.stream === true,
    tools,
    toolResults,
    wantsJson: false,
  };
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('');
  return JSON.stringify(output ?? '');
}

/**
 * OpenAI's `input_tokens` includes the cached ones; reasoning is part of
 * `output_tokens`. `cache_write_tokens` is not in the published schema, but
 * Codex 0.171 reads it (it reports `cache_write_input_tokens`).
 */
function usageFields(reply: ModelReply) {
  const input = reply.usage.input + reply.usage.cacheRead + reply.usage.cacheWrite;
  const output = reply.usage.output + reply.usage.reasoning;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: reply.usage.cacheRead, cache_write_tokens: reply.usage.cacheWrite },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reply.usage.reasoning },
    total_tokens: input + output,
  };
}

function messageItem(reply: ModelReply, status: string, text: string) {
  return {
    id: `msg_${reply.id}`,
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'in_progress' ? [] : [{ type: 'output_text', text, annotations: [] }],
  };
}

function callItem(reply: ModelReply, status: string, done: boolean) {
  const call = reply.call!;
  const payload = typeof call.input === 'string' ? call.input : JSON.stringify(call.input);
  if (call.kind === 'custom') {
    return { id: `ctc_${reply.id}`, type: 'custom_tool_call', status, call_id: call.callId, name: call.tool, input: done ? payload : '' };
  }
  return { id: `fc_${reply.id}`, type: 'function_call', status, call_id: call.callId, name: call.tool, arguments: done ? payload : '' };
}

function responseObject(reply: ModelReply, status: 'in_progress' | 'completed', createdAt: number) {
  const output: unknown[] = [];
  if (status === 'completed') {
    if (reply.text) output.push(messageItem(reply, 'completed', reply.text));
    if (reply.call) output.push(callItem(reply, 'completed', true));
  }
  return {
    id: `resp_${reply.id}`,
    object: 'response',
    created_at: createdAt,
    status,
    model: reply.model,
    output,
    parallel_tool_calls: false,
    tool_choice: 'auto',
    tools: [],
    usage: status === 'completed' ? usageFields(reply) : null,
    error: null,
    incomplete_details: null,
  };
}

export function responsesObject(reply: ModelReply, createdAt: number): Record<string, unknown> {
  return responseObject(reply, 'completed', createdAt);
}

export function responsesEvents(reply: ModelReply, createdAt: number): string[] {
  const frames: string[] = [];
  let sequence = 0;
  const emit = (data: Record<string, unknown>) => frames.push(sseFrame({ ...data, sequence_number: sequence++ }, String(data.type)));
  emit({ type: 'response.created', response: responseObject(reply, 'in_progress', createdAt) });
  emit({ type: 'response.in_progress', response: responseObject(reply, 'in_progress', createdAt) });
  let outputIndex = 0;
  if (reply.text) {
    const item = messageItem(reply, 'in_progress', '');
    const ids = { item_id: item.id, output_index: outputIndex, content_index: 0 };
    emit({ type: 'response.output_item.added', output_index: outputIndex, item });
    emit({ type: 'response.content_part.added', ...ids, part: { type: 'output_text', text: '', annotations: [] } });
    for (const delta of deltas(reply.text)) emit({ type: 'response.output_text.delta', ...ids, delta, logprobs: [] });
    emit({ type: 'response.output_text.done', ...ids, text: reply.text, logprobs: [] });
    emit({ type: 'response.content_part.done', ...ids, part: { type: 'output_text', text: reply.text, annotations: [] } });
    emit({ type: 'response.output_item.done', output_index: outputIndex, item: messageItem(reply, 'completed', reply.text) });
    outputIndex += 1;
  }
  if (reply.call) {
    const added = callItem(reply, 'in_progress', false);
    const done = callItem(reply, 'completed', true);
    const payload = typeof reply.call.input === 'string' ? reply.call.input : JSON.stringify(reply.call.input);
    const ids = { item_id: added.id, output_index: outputIndex };
    const kind = reply.call.kind === 'custom' ? 'custom_tool_call_input' : 'function_call_arguments';
    emit({ type: 'response.output_item.added', output_index: outputIndex, item: added });
    for (const delta of deltas(payload)) emit({ type: `response.${kind}.delta`, ...ids, delta });
    emit({ type: `response.${kind}.done`, ...ids, ...(kind === 'custom_tool_call_input' ? { input: payload } : { arguments: payload, name: reply.call.tool }) });
    emit({ type: 'response.output_item.done', output_index: outputIndex, item: done });
  }
  emit({ type: 'response.completed', response: responseObject(reply, 'completed', createdAt) });
  return frames;
}

export function responsesError(status: number, message: string): Record<string, unknown> {
  if (status === 429) return { error: { message, type: 'requests', param: null, code: 'rate_limit_exceeded' } };
  return { error: { message, type: 'server_error', param: null, code: status === 503 || status === 529 ? 'server_is_overloaded' : null } };
}
