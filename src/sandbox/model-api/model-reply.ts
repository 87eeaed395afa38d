import type { TokenUsage } from './model-script.js';
import type { OfferedTool } from './offered-tool.js';
import type { PlannedCall } from './plan-tool-call.js';

/** One assistant response, before it is put in a vendor's wire format. */
export interface ModelReply {
  /** Stable per conversation and turn, so a retried request gets the same ids. */
  id: string;
  model: string;
  text?: string;
  call?: PlannedCall & { callId: string };
  usage: TokenUsage;
}

/** A tool result found in a request's history; kept in the request log so a test can see why an agent's tool failed. */
export interface ToolResultSeen {
  callId: string;
  isError: boolean;
  text: string;
}

/** What the emulator needs from a model request, whatever its wire format. */
export interface ModelCall {
  model: string;
  stream: boolean;
  tools: OfferedTool[];
  toolResults: ToolResultSeen[];
  /** The caller asked for JSON output (Gemini CLI's side checks do). */
  wantsJson: boolean;
}

/** Splits text into a few deltas so clients exercise their accumulation, as real streams do. */
export function deltas(text: string, pieces = 3): string[] {
  if (text.length <= pieces) return text ? [text] : [];
  const size = Math.ceil(text.length / pieces);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** One server-sent event; `event` is omitted by Gemini, which sends `data:` lines only. */
export function sseFrame(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/** Tool-result text in the log is capped: it is for diagnosis, not a transcript. */
export function clip(text: string, max = 2_000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
