import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface RunCommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kills the whole process group after this long; agents spawn helpers that must die with them. */
  timeoutMs?: number;
  /** Every chunk of stdout and stderr, as it arrives. */
  onOutput?: (chunk: string) => void;
  stdin?: string;
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout and stderr interleaved, capped at the tail. */
  output: string;
  timedOut: boolean;
}

const KEEP_CHARS = 256 * 1024;
const KILL_GRACE_MS = 5_000;

function keepTail(text: string): string {
  return text.length > KEEP_CHARS ? text.slice(text.length - KEEP_CHARS) : text;
}

/**
 * Spawns a command without a shell (arguments never get re-parsed, so ticket
 * text in a prompt cannot inject commands) and resolves when it exits.
 * A missing binary resolves with exit code 127, as a shell would report it.
 */
export function runCommand(command: string, args: string[], options: RunCommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let output = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Own process group, so a timeout can kill the agent and everything it started.
      detached: process.platform !== 'win32',
    });
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        if (process.platform !== 'win32') process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch (error) {
        // ESRCH: the group already exited between the timer firing and the kill.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup('SIGTERM');
            graceTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
            graceTimer.unref();
          }, options.timeoutMs);
    const onData = (isStdout: boolean) => (data: Buffer) => {
      const text = data.toString('utf8');
      if (isStdout) stdout = keepTail(stdout + text);
      output = keepTail(output + text);
      options.onOutput?.(text);
    };
    child.stdout?.on('data', onData(true));
    child.stderr?.on('data', onData(false));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (graceTimer && !timedOut) clearTimeout(graceTimer);
      resolve({ exitCode, signal, stdout, output, timedOut });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      // spawn reports a missing working directory as ENOENT too; say which one it was.
      const missing = error.code === 'ENOENT' ? (existsSync(options.cwd) ? 'command not found' : `working directory ${options.cwd} does not exist`) : error.message;
      const message = `${command}: ${missing}\n`;
      output += message;
      options.onOutput?.(message);
      finish(127, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
