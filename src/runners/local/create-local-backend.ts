import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalServiceError } from '../../errors/index.js';
import type { Mapping } from '../../domain/mapping.js';
import type { Logger } from '../../logging/create-logger.js';
import type { DispatchRequest, RunnerBackend, UpstreamRun } from '../runner-backend.js';
import { OutputTail, summariseExit } from './output-tail.js';

export interface LocalBackendOptions {
  /** The runner CLI, e.g. `[process.execPath, 'dist/src/runner/cli.js']`. */
  command: string[];
  /** Children running at once (default 2). */
  maxConcurrent?: number;
  /** Dispatches waiting for a slot (default 2 × maxConcurrent); beyond it dispatch refuses. */
  maxQueued?: number;
  /** Between SIGTERM and SIGKILL at the deadline or on cancel (default 10 s). */
  killGraceMs?: number;
  cwd?: string;
  /**
   * The base environment of every child. Defaults to PATH and HOME only: the
   * server's own environment holds its secrets and must not leak into a run.
   */
  baseEnv?: Record<string, string>;
  /**
   * Where each run's workspace (its clone and scratch files) goes: one
   * directory per attempt, given to the runner as `--workdir` and removed when
   * its process ends; leftovers of a crash are removed by `sweep` at start.
   * Unset: the runner makes a temporary directory of its own.
   */
  workspaceRoot?: string;
  /** Bytes of combined stdout/stderr kept per run (default 8 KiB). */
  tailBytes?: number;
  /** Finished runs remembered for `find` (default 200). */
  keepFinished?: number;
  log?: Logger;
  now?: () => number;
  /**
   * Told when a child exits, so a runner that died without posting its result
   * (a crash, a refused job fetch) settles its run instead of leaving it live.
   */
  onExit?: (exit: LocalRunnerExit) => void;
}

export interface LocalRunnerExit {
  runId: string;
  upstreamId: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stopReason: string | undefined;
  tail: string;
}

export interface LocalRunnerBackend extends RunnerBackend {
  abandon(upstreamId: string, runId: string): Promise<void>;
  sweep(): Promise<void>;
  /** The last output of a run's child, for diagnostics. */
  outputTail(runId: string): string | undefined;
}

interface Entry {
  runId: string;
  upstreamId: string;
  state: UpstreamRun['state'];
  request: DispatchRequest;
  child?: ChildProcess;
  tail: OutputTail;
  startedAt?: string;
  timers: NodeJS.Timeout[];
  stopReason?: 'deadline' | 'cancel';
  /** Holds one of the `maxConcurrent` slots. */
  holdsSlot: boolean;
  retired: boolean;
  /** Settles the dispatch call that queued this entry. */
  settle?: { resolve: (run: UpstreamRun) => void; reject: (error: Error) => void };
}

/**
 * Runs each job as a child process of this server (sandbox mode and small
 * installs). The process table is in memory: after a restart `find` knows
 * nothing, which is the truth — the children's process group is gone or
 * orphaned, and the dispatcher re-dispatches with a new attempt.
 *
 * When every slot is busy a dispatch waits in a bounded queue and resolves
 * once its child started. When the queue is full it refuses at once with a
 * retryable ExternalServiceError (status 429): nothing was started, so the
 * dispatcher puts the run back to `queued` and tries again on a later cycle
 * instead of holding its worker.
 */
export function createLocalBackend(options: LocalBackendOptions): LocalRunnerBackend {
  const [file, ...args] = options.command;
  if (!file) throw new Error('local runner command is empty');
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? 2);
  const maxQueued = Math.max(0, options.maxQueued ?? maxConcurrent * 2);
  const killGraceMs = options.killGraceMs ?? 10_000;
  const keepFinished = options.keepFinished ?? 200;
  const now = options.now ?? Date.now;
  const baseEnv = options.baseEnv ?? pickEnv(process.env, ['PATH', 'HOME']);

  const byRunId = new Map<string, Entry>();
  const queue: Entry[] = [];
  const finished: string[] = [];
  let running = 0;

  const isLive = (e: Entry): boolean => e.state === 'pending' || e.state === 'running';
  const workspaceOf = (runId: string, attempt: number): string | undefined => (options.workspaceRoot ? join(options.workspaceRoot, `${runId}-a${attempt}`) : undefined);

  /** Every attempt's workspace of a run: `<runId>-a<attempt>`. */
  async function removeWorkspaces(runId: string): Promise<void> {
    const root = options.workspaceRoot;
    if (!root) return;
    const names = await readdir(root).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => name.startsWith(`${runId}-a`)).map((name) => rm(join(root, name), { recursive: true, force: true })));
  }

  function upstreamOf(entry: Entry): UpstreamRun {
    return {
      upstreamId: entry.upstreamId,
      runId: entry.runId,
      state: entry.state,
      mappingKey: entry.request.mapping.teamKey,
      ...(entry.request.issueIdentifier ? { issueIdentifier: entry.request.issueIdentifier } : {}),
      ...(entry.startedAt ? { startedAt: entry.startedAt } : {}),
    };
  }

  function start(entry: Entry): void {
    running += 1;
    entry.holdsSlot = true;
    const log = options.log?.child({ runId: entry.runId, attempt: entry.request.attempt });
    entry.tail = new OutputTail(options.tailBytes, (line) => log?.debug({ line }, 'local runner output'));
    let child: ChildProcess;
    try {
      const workdir = workspaceOf(entry.runId, entry.request.attempt);
      child = spawn(file!, workdir ? [...args, '--workdir', workdir] : args, {
        cwd: options.cwd,
        // The mapping's secrets reach the run through its environment only (never argv, never a file).
        env: { ...baseEnv, ...entry.request.secrets, ...entry.request.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Own process group, so a kill reaches the agent and git it started too.
        detached: true,
      });
    } catch (error) {
      fail(entry, error);
      return;
    }
    entry.child = child;
    child.stdout?.on('data', (chunk: Buffer) => entry.tail.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => entry.tail.write(chunk));
    child.once('error', (error) => {
      // 'error' before 'spawn' means nothing started (ENOENT, EACCES).
      if (entry.state === 'pending') fail(entry, error);
      else log?.warn({ err: error }, 'local runner error');
    });
    child.once('spawn', () => {
      entry.state = 'running';
      entry.upstreamId = `local-${child.pid}-${entry.runId}`;
      entry.startedAt = new Date(now()).toISOString();
      const delay = Math.max(0, Date.parse(entry.request.deadlineAt) - now());
      if (Number.isFinite(delay)) {
        entry.timers.push(setTimeout(() => stop(entry, 'deadline'), delay));
      }
      log?.info({ pid: child.pid, upstreamId: entry.upstreamId }, 'local runner started');
      entry.settle?.resolve(upstreamOf(entry));
      entry.settle = undefined;
    });
    child.once('close', (code, signal) => {
      if (entry.retired) return;
      entry.tail.end();
      for (const timer of entry.timers) clearTimeout(timer);
      entry.state =
        entry.stopReason === 'cancel' ? 'cancelled' : entry.stopReason === 'deadline' ? 'failed' : code === 0 ? 'succeeded' : 'failed';
      const level = entry.state === 'succeeded' ? 'info' : 'warn';
      // One line, not the output: the runner posts its step logs to the run, and each line went to debug as it came.
      log?.[level]({ code, signal, state: entry.state, stopReason: entry.stopReason, lines: entry.tail.lineCount, summary: summariseExit({ code, signal }, entry.tail) }, 'local runner exited');
      options.onExit?.({ runId: entry.runId, upstreamId: entry.upstreamId ?? '', code, signal, stopReason: entry.stopReason, tail: entry.tail.text() });
      retire(entry);
      removeWorkspaces(entry.runId).catch((error: unknown) => log?.warn({ err: error }, 'could not remove the run workspace'));
    });
  }

  function fail(entry: Entry, error: unknown): void {
    const code = (error as NodeJS.ErrnoException).code;
    entry.state = 'failed';
    retire(entry);
    // Nothing started, so this is a clean refusal (it carries a status); a
    // missing or unexecutable command will not fix itself by retrying.
    entry.settle?.reject(
      new ExternalServiceError(`local runner did not start: ${(error as Error).message}`, {
        service: 'local',
        status: 503,
        retryable: code !== 'ENOENT' && code !== 'EACCES',
        cause: error,
      }),
    );
    entry.settle = undefined;
  }

  /** Idempotent: a failed spawn can report both 'error' and 'close'. */
  function retire(entry: Entry): void {
    if (entry.retired) return;
    entry.retired = true;
    if (entry.holdsSlot) {
      entry.holdsSlot = false;
      running -= 1;
    }
    finished.push(entry.runId);
    while (finished.length > keepFinished) {
      const old = finished.shift();
      const stale = old === undefined ? undefined : byRunId.get(old);
      if (stale && !isLive(stale)) byRunId.delete(stale.runId);
    }
    while (running < maxConcurrent) {
      const next = queue.shift();
      if (!next) break;
      start(next);
    }
  }

  function stop(entry: Entry, reason: 'deadline' | 'cancel'): void {
    const child = entry.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    entry.stopReason ??= reason;
    options.log?.warn({ runId: entry.runId, reason }, 'stopping local runner');
    signalGroup(child, 'SIGTERM');
    const escalate = setTimeout(() => signalGroup(child, 'SIGKILL'), killGraceMs);
    escalate.unref();
    entry.timers.push(escalate);
  }

  return {
    kind: 'local',

    dispatch(request: DispatchRequest): Promise<UpstreamRun> {
      const existing = byRunId.get(request.runId);
      // The table is the upstream here, so a repeated dispatch can be answered exactly.
      if (existing && isLive(existing) && existing.request.attempt === request.attempt) {
        if (existing.child) return Promise.resolve(upstreamOf(existing));
        return Promise.reject(new ExternalServiceError(`local runner: run ${request.runId} is already waiting for a slot`, { service: 'local', status: 409, retryable: false }));
      }
      if (running >= maxConcurrent && queue.length >= maxQueued) {
        return Promise.reject(
          new ExternalServiceError(`local runner: ${running} running and ${queue.length} waiting`, {
            service: 'local',
            status: 429,
            retryable: true,
            retryAfterMs: 5_000,
          }),
        );
      }
      return new Promise<UpstreamRun>((resolve, reject) => {
        const entry: Entry = {
          runId: request.runId,
          upstreamId: `local-queued-${request.runId}`,
          state: 'pending',
          request,
          tail: new OutputTail(options.tailBytes),
          timers: [],
          holdsSlot: false,
          retired: false,
          settle: { resolve, reject },
        };
        byRunId.set(request.runId, entry);
        if (running < maxConcurrent) start(entry);
        else queue.push(entry);
      });
    },

    async find(runId: string, _mapping: Mapping): Promise<UpstreamRun | undefined> {
      const entry = byRunId.get(runId);
      return entry ? upstreamOf(entry) : undefined;
    },

    async cancel(upstreamId: string, _mapping: Mapping): Promise<void> {
      const entry = [...byRunId.values()].find((e) => e.upstreamId === upstreamId);
      if (!entry || !isLive(entry)) return;
      const waiting = queue.indexOf(entry);
      if (waiting >= 0) {
        queue.splice(waiting, 1);
        entry.state = 'cancelled';
        retire(entry);
        entry.settle?.reject(new ExternalServiceError('local runner: cancelled before it started', { service: 'local', status: 409, retryable: false }));
        entry.settle = undefined;
        return;
      }
      stop(entry, 'cancel');
    },

    async listLive(): Promise<UpstreamRun[]> {
      return [...byRunId.values()].filter(isLive).map(upstreamOf);
    },

    outputTail(runId: string): string | undefined {
      return byRunId.get(runId)?.tail.text();
    },

    async abandon(upstreamId: string, runId: string): Promise<void> {
      if (byRunId.get(runId)) return;
      const pid = Number(/^local-(\d+)-/.exec(upstreamId)?.[1]);
      // Only a process that still carries this run in its command line (its workspace): a reused pid is someone else.
      if (Number.isInteger(pid) && pid > 1 && (await commandLineOf(pid)).includes(runId)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // ESRCH: it ended meanwhile.
        }
        options.log?.warn({ runId, pid }, 'stopped a local runner left over from before the restart');
      }
      await removeWorkspaces(runId);
    },

    async sweep(): Promise<void> {
      const root = options.workspaceRoot;
      if (!root) return;
      const live = new Set([...byRunId.values()].filter(isLive).map((e) => `${e.runId}-a${e.request.attempt}`));
      const names = await readdir(root).catch(() => [] as string[]);
      const orphans = names.filter((name) => !live.has(name));
      await Promise.all(orphans.map((name) => rm(join(root, name), { recursive: true, force: true })));
      if (orphans.length > 0) options.log?.info({ removed: orphans.length }, 'removed workspaces left by a previous process');
    },
  };
}

async function commandLineOf(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8').then(
    (text) => text.replace(/\0/g, ' '),
    () => '',
  );
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole group started with `detached: true`.
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group already exited; the 'close' handler records the outcome.
    child.kill(signal);
  }
}

function pickEnv(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
