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
  /**
   * Stops a command that stalls: after `ms` with no output, `progressed()` is
   * asked whether it did anything else meanwhile (an agent writing files
   * quietly); when not, the process group is killed and `stalled` is set.
   */
  stall?: { ms: number; progressed: () => Promise<boolean> };
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr alone, capped at the tail: where CLIs print their own reason for failing. */
  stderr: string;
  /** stdout and stderr interleaved, capped at the tail. */
  output: string;
  timedOut: boolean;
  /** Killed by the stall watch: no output and no progress for `stall.ms`. */
  stalled: boolean;
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
    let stderr = '';
    let output = '';
    let timedOut = false;
    let stalled = false;
    // Monotonic: a stall is measured in elapsed time, not read off the wall clock.
    let lastOutputAt = performance.now();
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
    const stop = (): void => {
      killGroup('SIGTERM');
      graceTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      graceTimer.unref();
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs);
    const stallWatch = options.stall;
    const stallTimer = stallWatch
      ? setInterval(
          () => {
            if (settled || stalled || performance.now() - lastOutputAt < stallWatch.ms) return;
            stallWatch.progressed().then(
              (moved) => {
                if (moved) lastOutputAt = performance.now();
                else if (!settled && !stalled) {
                  stalled = true;
                  stop();
                }
              },
              // A probe that cannot tell is no proof of a stall.
              () => (lastOutputAt = performance.now()),
            );
          },
          Math.max(50, Math.min(stallWatch.ms / 4, 15_000)),
        )
      : undefined;
    const onData = (isStdout: boolean) => (data: Buffer) => {
      const text = data.toString('utf8');
      lastOutputAt = performance.now();
      if (isStdout) stdout = keepTail(stdout + text);
      else stderr = keepTail(stderr + text);
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
      if (stallTimer) clearInterval(stallTimer);
      if (graceTimer && !timedOut && !stalled) clearTimeout(graceTimer);
      resolve({ exitCode, signal, stdout, stderr, output, timedOut, stalled });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      // spawn reports a missing working directory as ENOENT too; say which one it was.
      const missing = error.code === 'ENOENT' ? (existsSync(options.cwd) ? 'command not found' : `working directory ${options.cwd} does not exist`) : error.message;
      const message = `${command}: ${missing}\n`;
      output += message;
      stderr += message;
      options.onOutput?.(message);
      finish(127, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
