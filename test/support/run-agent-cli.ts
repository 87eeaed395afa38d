import { spawn } from 'node:child_process';

export interface AgentCliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** `Date.now()` just before spawning; compare with the emulator's request times. */
  spawnedAt: number;
  durationMs: number;
  timedOut: boolean;
}

export interface AgentCliSpawn {
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment: nothing of the test process leaks in except what is passed. */
  env: Record<string, string>;
  timeoutMs: number;
}

/**
 * Runs an agent CLI headless: stdin is /dev/null (Codex waits for more input
 * and OpenCode reads an open stdin as the prompt), and the CLI leads its own
 * process group, which is killed as a whole on timeout and after exit
 * (Codex's node launcher leaves its native binary behind otherwise).
 */
export function runAgentCli(spec: AgentCliSpawn): Promise<AgentCliRun> {
  const spawnedAt = Date.now();
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch (error) {
      // ESRCH: the group is already gone, which is the goal.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, spec.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // On exit, the rest of the group goes too: a leftover child holding stdout would keep 'close' from firing.
    child.once('exit', killGroup);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, spawnedAt, durationMs: Date.now() - spawnedAt, timedOut });
    });
  });
}

/** The JSON objects of a JSON-lines output, skipping lines that are not JSON (banners, warnings). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      out.push(JSON.parse(trimmed) as Record<string, unknown>);
    } catch {
      // A line that starts like JSON but is not (a log line) is not an event; skip it.
    }
  }
  return out;
}
