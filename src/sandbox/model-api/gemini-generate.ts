import { clip, deltas, sseFrame, type ModelCall, type ModelReply, type ToolResultSeen } from './model-reply.js';
import { isRecord, offeredFunction, type OfferedTool } from './offered-tool.js';

/**
 * The Gemini API (`/v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:countTokens`) as Gemini CLI calls it
 * through `@google/genai` with `GOOGLE_GEMINI_BASE_URL`. A stream is a series
 * of `data:` frames, each a whole `GenerateContentResponse`; the last one
 * carries `finishReason` and `usageMetadata`.
 */

export function readGeminiCall(model: string, body: unknown, stream: boolean): ModelCall {
  const request = isRecord(body) ? body : {};
  const tools: OfferedTool[] = [];
  for (const group of Array.isArray(request.tools) ? request.tools : []) {
    if (!isRecord(group) || !Array.isArray(group.functionDeclarations)) continue;
    for (const fn of group.functionDeclarations) {
      // Gemini CLI sends `parametersJsonSchema`; other callers send the OpenAPI-style `parameters`.
      if (isRecord(fn) && typeof fn.name === 'string') tools.push(offeredFunction(fn.name, fn.parametersJsonSchema ?? fn.parameters));
    }
  }
  const toolResults: ToolResultSeen[] = [];
  for (const content of Array.isArray(request.contents) ? request.contents : []) {
    if (!isRecord(content) || !Array.isArray(content.parts)) continue;
    for (const part of content.parts) {
      if (!isRecord(part) || !isRecord(part.functionResponse)) continue;
      const response = part.functionResponse.response;
      const isError = isRecord(response) && 'error' in response;
      toolResults.push({ callId: String(part.functionResponse.id ?? part.functionResponse.name ?? ''), isError, text: clip(JSON.stringify(response ?? {})) });
    }
  }
  const config = isRecord(request.generationConfig) ? request.generationConfig : {};
  return { model, stream, tools, toolResults, wantsJson: config.responseMimeType === 'application/json' };
}

/** Gemini's `promptTokenCount` includes the cached tokens; thoughts are counted beside the candidates. */
function usageMetadata(reply: ModelReply) {
  const prompt = reply.usage.input + reply.usage.cacheRead;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: reply.usage.output,
    cachedContentTokenCount: reply.usage.cacheRead,
    thoughtsTokenCount: reply.usage.reasoning,
    totalTokenCount: prompt + reply.usage.output + reply.usage.reasoning,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    cacheTokensDetails: [{ modality: 'TEXT', tokenCount: reply.usage.cacheRead }],
  };
}

function callPart(reply: ModelReply) {
  const call = reply.call!;
  const args = typeof call.input === 'string' ? { input: call.input } : call.input;
  return { functionCall: { id: call.callId, name: call.tool, args } };
}

function chunk(reply: ModelReply, parts: unknown[], final: boolean) {
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        index: 0,
        ...(final ? { finishReason: 'STOP' } : {}),
      },
    ],
    ...(final ? { usageMetadata: usageMetadata(reply) } : {}),
    modelVersion: reply.model,
    responseId: reply.id,
  };
}

export function geminiResponse(reply: ModelReply): Record<string, unknown> {
  const parts: unknown[] = [];
  if (reply.text) parts.push({ text: reply.text });
  if (reply.call) parts.push(callPart(reply));
  return chunk(reply, parts, true);
}

export function geminiEvents(reply: ModelReply): string[] {
  const frames: string[] = [];
  const texts = reply.text ? deltas(reply.text) : [];
  const last = reply.call ? [callPart(reply)] : [{ text: texts.pop() ?? '' }];
  for (const text of texts) frames.push(sseFrame(chunk(reply, [{ text }], false)));
  frames.push(sseFrame(chunk(reply, last, true)));
  return frames;
}

export function geminiTokenCount(body: unknown): { totalTokens: number } {
  return { totalTokens: Math.max(1, Math.ceil(JSON.stringify(body ?? '').length / 4)) };
}

const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 529: 'UNAVAILABLE' };

export function geminiError(status: number, message: string): Record<string, unknown> {
  return { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } };
}
