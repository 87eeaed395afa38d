import { jsonLines } from '../../support/run-agent-cli.js';

/**
 * What each CLI's JSON output says about a run, read from the fields observed
 * against the emulator (see `src/sandbox/model-api/README.md`).
 */
export interface AgentOutcome {
  finalText?: string;
  usage: { input: number; cacheRead: number; cacheWrite: number; output: number; reasoning: number };
  costUsd?: number;
  /** The CLI's own statement that the run failed, when it makes one. */
  error?: string;
  /** The HTTP status behind that failure, where the CLI reports it (not Codex). */
  errorStatus?: number;
}

type Json = Record<string, unknown>;
const num = (value: unknown) => (typeof value === 'number' ? value : 0);
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});

/** `claude -p --output-format json`: one result object; `usage.input_tokens` excludes the cache. */
export function readClaudeOutput(stdout: string): AgentOutcome {
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Json;
  const usage = obj(result.usage);
  return {
    ...(typeof result.result === 'string' ? { finalText: result.result } : {}),
    usage: {
      input: num(usage.input_tokens),
      cacheRead: num(usage.cache_read_input_tokens),
      cacheWrite: num(usage.cache_creation_input_tokens),
      output: num(usage.output_tokens),
      reasoning: num(obj(usage.output_tokens_details).thinking_tokens),
    },
    ...(typeof result.total_cost_usd === 'number' ? { costUsd: result.total_cost_usd } : {}),
    ...(result.is_error === true ? { error: String(result.result ?? result.subtype ?? 'error') } : {}),
    ...(typeof result.api_error_status === 'number' ? { errorStatus: result.api_error_status } : {}),
  };
}

/**
 * `codex exec --json`: JSON lines; `turn.completed.usage` is the turn's total
 * with `input_tokens` including the cached ones, `turn.failed.error.message` a failure.
 */
export function readCodexOutput(stdout: string): AgentOutcome {
  const events = jsonLines(stdout);
  const usage = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 };
  let finalText: string | undefined;
  let error: string | undefined;
  for (const event of events) {
    if (event.type === 'turn.completed') {
      const u = obj(event.usage);
      usage.input += num(u.input_tokens) - num(u.cached_input_tokens) - num(u.cache_write_input_tokens);
      usage.cacheRead += num(u.cached_input_tokens);
      usage.cacheWrite += num(u.cache_write_input_tokens);
      usage.output += num(u.output_tokens) - num(u.reasoning_output_tokens);
      usage.reasoning += num(u.reasoning_output_tokens);
    }
    const item = obj(event.item);
    if (event.type === 'item.completed' && item.type === 'agent_message') finalText = String(item.text);
    if (event.type === 'turn.failed') error = String(obj(event.error).message);
  }
  return { ...(finalText !== undefined ? { finalText } : {}), usage, ...(error !== undefined ? { error } : {}) };
}

/**
 * `gemini -p --output-format json`: one object on stdout; per model
 * `stats.models[m].tokens` with `prompt` including `cached` and `input` =
 * prompt − cached. A failure prints `{session_id, error: {type, message, code}}`
 * to stderr instead, and the exit code is `code` mod 256 (503 → 247).
 */
export function readGeminiOutput(stdout: string, stderr = ''): AgentOutcome {
  const usage = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 };
  const start = stdout.indexOf('{');
  if (start < 0) return { usage, ...geminiError(lastGeminiObject(stderr)) };
  const result = JSON.parse(stdout.slice(start)) as Json;
  for (const model of Object.values(obj(obj(result.stats).models))) {
    const tokens = obj(obj(model).tokens);
    usage.input += num(tokens.prompt) - num(tokens.cached);
    usage.cacheRead += num(tokens.cached);
    usage.output += num(tokens.candidates);
    usage.reasoning += num(tokens.thoughts);
  }
  return { ...(typeof result.response === 'string' ? { finalText: result.response } : {}), usage, ...geminiError(result) };
}

/** Gemini CLI pretty-prints its result object; on failure it is the last thing on stderr, after retry logs. */
function lastGeminiObject(text: string): Json {
  const start = text.lastIndexOf('{\n  "session_id"');
  if (start < 0) return {};
  return JSON.parse(text.slice(start, text.indexOf('\n}', start) + 2)) as Json;
}

function geminiError(result: Json): Pick<AgentOutcome, 'error' | 'errorStatus'> {
  const error = obj(result.error);
  if (!error.message) return {};
  return { error: String(error.message), ...(typeof error.code === 'number' ? { errorStatus: error.code } : {}) };
}

/** `opencode run --format json`: JSON lines; each `step_finish` carries that step's tokens and cost. */
export function readOpencodeOutput(stdout: string): AgentOutcome {
  const usage = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 };
  let costUsd = 0;
  let finalText: string | undefined;
  let error: string | undefined;
  let errorStatus: number | undefined;
  for (const event of jsonLines(stdout)) {
    const part = obj(event.part);
    if (event.type === 'step_finish') {
      const tokens = obj(part.tokens);
      usage.input += num(tokens.input);
      usage.output += num(tokens.output);
      usage.reasoning += num(tokens.reasoning);
      usage.cacheRead += num(obj(tokens.cache).read);
      usage.cacheWrite += num(obj(tokens.cache).write);
      costUsd += num(part.cost);
    }
    if (event.type === 'text' && typeof part.text === 'string') finalText = part.text;
    if (event.type === 'error') {
      const data = obj(obj(event.error).data);
      error = String(data.message ?? obj(event.error).name ?? 'error');
      if (typeof data.statusCode === 'number') errorStatus = data.statusCode;
    }
  }
  return { ...(finalText !== undefined ? { finalText } : {}), usage, costUsd, ...(error !== undefined ? { error } : {}), ...(errorStatus !== undefined ? { errorStatus } : {}) };
}
