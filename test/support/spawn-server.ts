import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnedServer {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout matches; rejects on exit or timeout. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  kill: () => void;
}

/**
 * Starts the compiled server (`npm start` runs `node dist/src/main.js`) with exactly the given environment,
 * optionally under a wrapper command (e.g. `unshare -pf --mount-proc --kill-child`, to run it as PID 1).
 */
export function spawnServer(env: Record<string, string>, wrapper: readonly string[] = []): SpawnedServer {
  const [command, ...args] = [...wrapper, process.execPath, 'dist/src/main.js'];
  const child = spawn(command!, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    waitFor: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = () => {
          const match = pattern.exec(out);
          if (match) finish(undefined, match);
        };
        const onExit = (code: number | null) => finish(new Error(`server exited with ${code} before ${pattern}; stderr:\n${err}`));
        function finish(error?: Error, match?: RegExpMatchArray) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve(match!);
        }
        child.stdout!.on('data', check);
        child.once('exit', onExit);
        check();
      }),
  };
}
