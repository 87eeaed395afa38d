import { cliRuntime, requireAnyEnv } from './agent-runtime.js';

/** `opencode run <prompt>`; credentials depend on the configured provider, so none are checked here. */
export const opencodeRuntime = cliRuntime({
  id: 'opencode',
  command: 'opencode',
  args: (inv) => ['run', ...(inv.model ? ['--model', inv.model] : []), inv.prompt],
});

/** `codex exec --full-auto`; read-only passes use the read-only sandbox instead. */
export const codexRuntime = cliRuntime({
  id: 'codex',
  command: 'codex',
  args: (inv) => [
    'exec',
    ...(inv.mode === 'edit' ? ['--full-auto'] : ['--sandbox', 'read-only']),
    ...(inv.model ? ['--model', inv.model] : []),
    inv.prompt,
  ],
  checkCredentials: (inv) => requireAnyEnv(inv, ['OPENAI_API_KEY', 'CODEX_API_KEY'], 'codex'),
});

export const geminiRuntime = cliRuntime({
  id: 'gemini',
  command: 'gemini',
  args: (inv) => [...(inv.mode === 'edit' ? ['--yolo'] : []), ...(inv.model ? ['--model', inv.model] : []), '-p', inv.prompt],
  checkCredentials: (inv) => requireAnyEnv(inv, ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], 'gemini'),
});

export const cursorRuntime = cliRuntime({
  id: 'cursor',
  command: 'cursor-agent',
  args: (inv) => ['-p', ...(inv.mode === 'edit' ? ['--force'] : []), ...(inv.model ? ['--model', inv.model] : []), inv.prompt],
  checkCredentials: (inv) => requireAnyEnv(inv, ['CURSOR_API_KEY'], 'cursor'),
});
