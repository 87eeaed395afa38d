import { readFileSync } from 'node:fs';
import { readFile, open, unlink, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Clock } from '../store.js';

export const LOCK_FILE_NAME = '.lock';

/** Another live process holds the data directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly lockPath: string,
    readonly holderPid: number | undefined,
    readonly holderHost: string | undefined,
  ) {
    super(
      `data directory is locked: ${lockPath} is held by pid ${holderPid ?? 'unknown'} on ${holderHost ?? 'unknown host'}. ` +
        'Only one process may use a lowdb data directory; stop the other process (or use PostgreSQL to run several). ' +
        'If that process is gone, delete the lock file.',
    );
  }
}

interface LockContent {
  pid: number;
  hostname: string;
  acquiredAt: string;
  /**
   * When the holder started (clock ticks since boot, /proc/<pid>/stat) and
   * which boot it was: a pid alone is reused — a container's orchestrator is
   * pid 1 at every start, so a lock left by a crash would name "this" process.
   */
  startTicks?: string;
  bootId?: string;
}

/** The process's start time in clock ticks since boot, where /proc has it (Linux). */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process that wrote the lock still runs. Same host only. A
 * different boot, or a pid now running a process that started at another
 * time (pid reuse, or this very process after a restart as pid 1), means the
 * holder is gone.
 */
function holderIsAlive(holder: Partial<LockContent> & { pid: number }, own: LockContent): boolean {
  if (holder.bootId && own.bootId && holder.bootId !== own.bootId) return false;
  if (holder.startTicks && holder.startTicks !== processStartTicks(holder.pid)) return false;
  // Without a start time (an older lock, or no /proc) the pid is all there is; our own pid is then a leftover.
  if (!holder.startTicks && holder.pid === own.pid) return false;
  return isAlive(holder.pid);
}

async function readHolder(lockPath: string): Promise<Partial<LockContent> | undefined> {
  try {
    return JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockContent>;
  } catch {
    return undefined;
  }
}

/** An unreadable lock younger than this may be a holder mid-way through writing it. */
const UNREADABLE_LOCK_GRACE_MS = 2000;

/**
 * Takes `<dataDir>/.lock` with O_EXCL. A lock left by a dead process on this
 * host is taken over; a lock from another host cannot be checked, so it is
 * refused. Returns the release function.
 *
 * `clock` stamps the lock and ages an unreadable one against its file's
 * mtime, which the OS stamps: it must follow the real wall clock there (the
 * store's clock does in production).
 */
export async function acquireDataDirLock(dataDir: string, clock: Clock): Promise<() => Promise<void>> {
  const lockPath = path.resolve(dataDir, LOCK_FILE_NAME);
  const startTicks = processStartTicks(process.pid);
  const bootId = currentBootId();
  const content: LockContent = { pid: process.pid, hostname: hostname(), acquiredAt: new Date(clock()).toISOString(), ...(startTicks ? { startTicks } : {}), ...(bootId ? { bootId } : {}) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(JSON.stringify(content));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return async () => {
        const holder = await readHolder(lockPath);
        if (holder?.pid === process.pid && holder.startTicks === content.startTicks) await unlink(lockPath).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(lockPath);
    if (holder && typeof holder.pid === 'number') {
      const stale = holder.hostname === content.hostname && !holderIsAlive({ ...holder, pid: holder.pid }, content);
      if (!stale) throw new DataDirLockedError(lockPath, holder.pid, holder.hostname);
    } else {
      const age = await stat(lockPath).then((s) => clock() - s.mtimeMs, () => Infinity);
      if (age < UNREADABLE_LOCK_GRACE_MS) throw new DataDirLockedError(lockPath, undefined, undefined);
    }
    // Stale: remove and race for it again; O_EXCL decides between contenders.
    await unlink(lockPath).catch(() => undefined);
  }
  throw new DataDirLockedError(lockPath, undefined, undefined);
}
