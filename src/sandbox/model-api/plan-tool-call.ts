import type { ToolIntent } from './model-script.js';
import type { OfferedTool } from './offered-tool.js';

/** The call to put on the wire: a tool the request offered and its arguments (an object, or text for a freeform tool). */
export interface PlannedCall {
  tool: string;
  kind: 'function' | 'custom';
  input: Record<string, unknown> | string;
}

export type ToolPlan = { ok: true; call: PlannedCall } | { ok: false; reason: string };

// Names seen in the CLIs' requests: Claude Code `Write`/`Edit`/`Bash`, OpenCode
// `write`/`edit`/`bash`, Gemini CLI `write_file`/`replace`/`run_shell_command`,
// Codex `apply_patch` plus `shell_command`, `exec_command` or `shell` by model.
const WRITE_TOOLS = ['write', 'write_file', 'create_file', 'writefile'];
const EDIT_TOOLS = ['edit', 'replace', 'edit_file', 'str_replace'];
const SHELL_TOOLS = ['bash', 'run_shell_command', 'shell_command', 'exec_command', 'shell', 'execute_command'];
const PATH_ARGS = ['file_path', 'filePath', 'path', 'absolute_path', 'filename'];
const CONTENT_ARGS = ['content', 'contents', 'file_text', 'text'];
const OLD_ARGS = ['old_string', 'oldString', 'old_str', 'old_text'];
const NEW_ARGS = ['new_string', 'newString', 'new_str', 'new_text'];

/**
 * Maps an intent to a tool the request offers, preferring the dedicated tool,
 * then `apply_patch`, then a shell. Pure: the emulator renders the result in
 * the wire format of the request.
 */
export function planToolCall(intent: ToolIntent, tools: OfferedTool[]): ToolPlan {
  switch (intent.kind) {
    case 'write-file':
      return first(
        () => planWrite(intent.path, intent.content, tools),
        () => planPatch(addFilePatch(intent.path, intent.content), tools),
        () => planShell(writeFileCommand(intent.path, intent.content), tools),
        () => noTool(intent, tools),
      );
    case 'edit-file':
      return first(
        () => planEdit(intent, tools),
        () => planPatch(updateFilePatch(intent.path, intent.oldText, intent.newText), tools),
        () => noTool(intent, tools),
      );
    case 'shell':
      return first(
        () => planShell(intent.command, tools),
        () => noTool(intent, tools),
      );
  }
}

function first(...plans: Array<() => ToolPlan | undefined>): ToolPlan {
  for (const plan of plans) {
    const result = plan();
    if (result) return result;
  }
  throw new Error('unreachable: the last plan always answers');
}

function noTool(intent: ToolIntent, tools: OfferedTool[]): ToolPlan {
  return { ok: false, reason: `no offered tool can ${intent.kind}; offered: ${tools.map((t) => t.name).join(', ') || 'none'}` };
}

function findTool(tools: OfferedTool[], names: string[]): OfferedTool | undefined {
  return tools.find((t) => names.includes(t.name.toLowerCase()));
}

function argOf(tool: OfferedTool, names: string[]): string | undefined {
  return names.find((n) => n in tool.properties);
}

function planWrite(path: string, content: string, tools: OfferedTool[]): ToolPlan | undefined {
  const tool = findTool(tools, WRITE_TOOLS);
  if (!tool) return undefined;
  const pathArg = argOf(tool, PATH_ARGS);
  const contentArg = argOf(tool, CONTENT_ARGS);
  if (!pathArg || !contentArg) return undefined;
  return { ok: true, call: { tool: tool.name, kind: 'function', input: { [pathArg]: path, [contentArg]: content } } };
}

function planEdit(intent: Extract<ToolIntent, { kind: 'edit-file' }>, tools: OfferedTool[]): ToolPlan | undefined {
  const tool = findTool(tools, EDIT_TOOLS);
  if (!tool) return undefined;
  const pathArg = argOf(tool, PATH_ARGS);
  const oldArg = argOf(tool, OLD_ARGS);
  const newArg = argOf(tool, NEW_ARGS);
  if (!pathArg || !oldArg || !newArg) return undefined;
  const input: Record<string, unknown> = { [pathArg]: intent.path, [oldArg]: intent.oldText, [newArg]: intent.newText };
  // Gemini CLI's `replace` requires an `instruction` explaining the change.
  if (tool.required.includes('instruction')) input.instruction = 'Scripted edit.';
  return { ok: true, call: { tool: tool.name, kind: 'function', input } };
}

function planPatch(patch: string, tools: OfferedTool[]): ToolPlan | undefined {
  const tool = tools.find((t) => t.name === 'apply_patch');
  if (!tool) return undefined;
  if (tool.kind === 'custom') return { ok: true, call: { tool: tool.name, kind: 'custom', input: patch } };
  const arg = argOf(tool, ['input', 'patch']) ?? 'input';
  return { ok: true, call: { tool: tool.name, kind: 'function', input: { [arg]: patch } } };
}

function planShell(command: string, tools: OfferedTool[]): ToolPlan | undefined {
  const tool = findTool(tools, SHELL_TOOLS);
  if (!tool) return undefined;
  const input: Record<string, unknown> = {};
  if ('cmd' in tool.properties) input.cmd = command;
  else if (tool.properties.command === 'array') input.command = ['bash', '-lc', command];
  else input.command = command;
  // OpenCode's `bash` requires a description of the command.
  if ('description' in tool.properties) input.description = 'Scripted command';
  return { ok: true, call: { tool: tool.name, kind: 'function', input } };
}

/**
 * Codex's patch format: added lines carry `+`, and the file gets a trailing
 * newline, so content is written exactly only when it ends with one.
 */
export function addFilePatch(path: string, content: string): string {
  const lines = splitLines(content).map((l) => `+${l}`);
  return ['*** Begin Patch', `*** Add File: ${path}`, ...lines, '*** End Patch', ''].join('\n');
}

export function updateFilePatch(path: string, oldText: string, newText: string): string {
  const removed = splitLines(oldText).map((l) => `-${l}`);
  const added = splitLines(newText).map((l) => `+${l}`);
  return ['*** Begin Patch', `*** Update File: ${path}`, '@@', ...removed, ...added, '*** End Patch', ''].join('\n');
}

function splitLines(text: string): string[] {
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

/** A shell command that writes `content` byte for byte: `printf '%s'` adds nothing and interprets nothing. */
export function writeFileCommand(path: string, content: string): string {
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const write = `printf '%s' ${shellQuote(content)} > ${shellQuote(path)}`;
  return dir ? `mkdir -p ${shellQuote(dir)} && ${write}` : write;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
