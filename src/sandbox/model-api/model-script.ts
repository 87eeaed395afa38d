/**
 * A scripted conversation, written as intents rather than vendor tool calls:
 * each CLI offers different tools (Claude Code `Write`, Codex `apply_patch`,
 * Gemini `write_file`, OpenCode `write`), so a step says what should happen
 * and `planToolCall` picks the tool the request actually offers.
 */

/** What a scripted turn asks the agent's tools to do. */
export type ToolIntent =
  /** Create or overwrite a file. Give an absolute path: Claude Code and OpenCode refuse relative ones. */
  | { kind: 'write-file'; path: string; content: string }
  /** Replace `oldText` (which must occur once) with `newText` in an existing file. */
  | { kind: 'edit-file'; path: string; oldText: string; newText: string }
  /** Run a shell command in the agent's working directory. */
  | { kind: 'shell'; command: string };

/**
 * One assistant response. A turn with `tool` ends with that tool call and the
 * next turn plays once the request carries the tool's result; a turn without
 * `tool` ends the agent's run with `text`.
 */
export interface ScriptTurn {
  text?: string;
  tool?: ToolIntent;
  /** Overrides the conversation's usage for this one response. */
  usage?: Partial<TokenUsage>;
}

/**
 * Token counts in the project's terms; each wire format derives its own fields
 * (Anthropic counts `input` without the cache, OpenAI and Gemini include the
 * cached tokens in their input total).
 */
export interface TokenUsage {
  /** Input tokens neither read from nor written to the prompt cache. */
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  /** Reasoning/thinking tokens, reported by OpenAI and Gemini as part of (OpenAI) or beside (Gemini) the output. */
  reasoning: number;
}

export interface ConversationScript {
  turns: ScriptTurn[];
  /** Usage reported on every scripted response unless the turn overrides it. */
  usage?: Partial<TokenUsage>;
  /** Text of the response once the turns are used up. */
  doneText?: string;
}

export const DEFAULT_USAGE: TokenUsage = { input: 120, cacheRead: 2_000, cacheWrite: 300, output: 40, reasoning: 0 };

/** Usage of side requests (titles, summaries, checks) that do not advance the script. */
export const SIDE_USAGE: TokenUsage = { input: 11, cacheRead: 0, cacheWrite: 0, output: 3, reasoning: 0 };

export function textTurn(text: string): ScriptTurn {
  return { text };
}

export function writeFileTurn(path: string, content: string, text?: string): ScriptTurn {
  return text === undefined ? { tool: { kind: 'write-file', path, content } } : { text, tool: { kind: 'write-file', path, content } };
}

/**
 * The turn a request is at. Each non-final turn makes exactly one tool call, so
 * the number of tool results already in the request's history is the index of
 * the turn to play; this keeps the emulator stateless and a retried request
 * gets the same answer.
 */
export function pickTurn(script: ConversationScript, toolResults: number): { turn: ScriptTurn; index: number } {
  const turn = script.turns[toolResults];
  if (turn) return { turn, index: toolResults };
  return { turn: { text: script.doneText ?? 'Done.' }, index: toolResults };
}

export function usageOf(script: ConversationScript, turn: ScriptTurn): TokenUsage {
  return { ...DEFAULT_USAGE, ...script.usage, ...turn.usage };
}
