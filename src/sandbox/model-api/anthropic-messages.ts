import { clip, deltas, sseFrame, type ModelCall, type ModelReply, type ToolResultSeen } from './model-reply.js';
import { isRecord, offeredFunction, type OfferedTool } from './offered-tool.js';

/**
 * The Anthropic Messages API (`POST /v1/messages`), as Claude Code and
 * OpenCode's anthropic provider call it. Event and field names follow the
 * API reference and `@anthropic-ai/sdk`'s `RawMessageStreamEvent` types.
 */

export function readAnthropicCall(body: unknown): ModelCall {
  const request = isRecord(body) ? body : {};
  const tools: OfferedTool[] = [];
  for (const tool of Array.isArray(request.tools) ? request.tools : []) {
    if (isRecord(tool) && typeof tool.name === 'string') tools.push(offeredFunction(tool.name, tool.input_schema));
  }
  const toolResults: ToolResultSeen[] = [];
  for (const message of Array.isArray(request.messages) ? request.messages : []) {
    if (!isRecord(message) || !Array.isArray(message.content)) continue;
    for (const block of message.content) {
      if (isRecord(block) && block.type === 'tool_result') {
        toolResults.push({ callId: String(block.tool_use_id ?? ''), isError: block.is_error === true, text: clip(resultText(block.content)) });
      }
    }
  }
  return {
    model: typeof request.model === 'string' ? request.model : 'claude-emulated',
    stream: request.stream === true,
    tools,
    toolResults,
    wantsJson: false,
  };
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

/** Anthropic's `input_tokens` excludes cached tokens; reads and writes are reported beside it. */
function usageFields(reply: ModelReply) {
  return {
    input_tokens: reply.usage.input,
    cache_creation_input_tokens: reply.usage.cacheWrite,
    cache_read_input_tokens: reply.usage.cacheRead,
    output_tokens: reply.usage.output,
  };
}

function stopReason(reply: ModelReply): 'tool_use' | 'end_turn' {
  return reply.call ? 'tool_use' : 'end_turn';
}

function toolInput(reply: ModelReply): Record<string, unknown> {
  const input = reply.call?.input;
  return typeof input === 'string' ? { input } : (input ?? {});
}

/** The non-streaming answer: a complete `message` object. */
export function anthropicMessage(reply: ModelReply): Record<string, unknown> {
  const content: unknown[] = [];
  if (reply.text) content.push({ type: 'text', text: reply.text });
  if (reply.call) content.push({ type: 'tool_use', id: reply.call.callId, name: reply.call.tool, input: toolInput(reply) });
  return {
    id: reply.id,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    stop_reason: stopReason(reply),
    stop_sequence: null,
    usage: { ...usageFields(reply), service_tier: 'standard' },
  };
}

/** The streamed answer as SSE frames, in the order the API sends them. */
export function anthropicEvents(reply: ModelReply): string[] {
  const frames: string[] = [];
  const emit = (data: Record<string, unknown>) => frames.push(sseFrame(data, String(data.type)));
  const usage = usageFields(reply);
  emit({
    type: 'message_start',
    message: {
      id: reply.id,
      type: 'message',
      role: 'assistant',
      model: reply.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The API reports input and cache counts up front and a token or so of output.
      usage: { ...usage, output_tokens: 1, service_tier: 'standard' },
    },
  });
  emit({ type: 'ping' });
  let index = 0;
  if (reply.text) {
    emit({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const text of deltas(reply.text)) emit({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    emit({ type: 'content_block_stop', index });
    index += 1;
  }
  if (reply.call) {
    emit({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: reply.call.callId, name: reply.call.tool, input: {} } });
    for (const partial_json of deltas(JSON.stringify(toolInput(reply)))) {
      emit({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
    }
    emit({ type: 'content_block_stop', index });
  }
  // message_delta usage is cumulative for the whole message, cache counts included.
  emit({ type: 'message_delta', delta: { stop_reason: stopReason(reply), stop_sequence: null }, usage });
  emit({ type: 'message_stop' });
  return frames;
}

/** `POST /v1/messages/count_tokens`: a rough count (4 characters a token) is all clients use it for. */
export function anthropicTokenCount(body: unknown): { input_tokens: number } {
  return { input_tokens: Math.max(1, Math.ceil(JSON.stringify(body ?? '').length / 4)) };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

export function anthropicError(status: number, message: string): Record<string, unknown> {
  return { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } };
}
