import type { Logger } from 'pino';
import type { Run } from '../domain/run.js';
import { isTerminal } from '../domain/run-status.js';
import type { WorkItem, WorkMarker } from '../domain/work-item.js';
import { ConflictError, NotFoundError } from '../errors/index.js';
import type { SettleDeps } from '../orchestrator/settle-run-outcome.js';
import { settleLostRunner } from '../orchestrator/settle-lost-runner.js';
import { FLY_METADATA } from '../runners/fly/create-fly-backend.js';
import type { Store } from '../store/store.js';
import type { Trackers } from '../trackers/create-trackers.js';
import type { FlyAppClient, FlyMachineInfo } from '../runners/fly/fly-app-client.js';

/** Machines in these states still cost money and may hold a ticket. */
export const SESSION_STATES: readonly string[] = ['created', 'starting', 'started'];

export interface Session {
  machineId: string;
  name: string;
  state: string;
  region: string;
  uptimeSeconds: number;
  createdAt: string;
  runId?: string;
  issue?: string;
  issueUrl?: string;
  repo?: string;
  mappingKey?: string;
}

export interface DestroyedSession {
  machineId: string;
  runId?: string;
  issue?: string;
  runSettled: boolean;
  markerRemoved: boolean;
  dedupCleared: boolean;
}

export interface SessionsServiceDeps {
  fly: FlyAppClient;
  store: Store;
  trackers: Trackers;
  settle: SettleDeps;
  clock: () => number;
  log: Logger;
}

export interface SessionsService {
  list(): Promise<Session[]>;
  /** NotFoundError for a machine Fly does not know (or one already destroyed). */
  destroy(machineId: string, actor: string): Promise<DestroyedSession>;
}

export function createSessionsService(deps: SessionsServiceDeps): SessionsService {
  const { fly, store, trackers, clock, log } = deps;

  async function ticketOf(run: Run): Promise<WorkItem | undefined> {
    const tracker = trackers[run.tracker];
    return tracker ? tracker.getItem(run.issueId) : undefined;
  }

  return {
    async list() {
      const machines = (await fly.listMachines()).filter((m) => SESSION_STATES.includes(m.state));
      const now = clock();
      return Promise.all(
        machines.map(async (machine): Promise<Session> => {
          const runId = machine.metadata[FLY_METADATA.runId];
          const run = runId ? await store.runs.getRun(runId) : undefined;
          const mappingKey = machine.metadata[FLY_METADATA.mapping] ?? run?.mappingKey;
          const mapping = mappingKey ? await store.mappings.get(mappingKey) : undefined;
          // A tracker that is down must not hide the machines that cost money: the link is optional.
          const item = run ? await ticketOf(run).catch(() => undefined) : undefined;
          const issue = run?.identifier ?? machine.metadata[FLY_METADATA.issue];
          const repo = machine.metadata[FLY_METADATA.tenant] ?? (mapping ? `${mapping.owner}/${mapping.repo}` : undefined);
          return {
            machineId: machine.id,
            name: machine.name,
            state: machine.state,
            region: machine.region,
            createdAt: machine.createdAt,
            uptimeSeconds: uptimeSeconds(machine, now),
            ...(runId ? { runId } : {}),
            ...(issue ? { issue } : {}),
            ...(item ? { issueUrl: item.url } : {}),
            ...(repo ? { repo } : {}),
            ...(mappingKey ? { mappingKey } : {}),
          };
        }),
      );
    },

    async destroy(machineId, actor) {
      const machine = await fly.getMachine(machineId);
      if (!machine || machine.state === 'destroyed') throw new NotFoundError(`No machine ${machineId} in the Fly app ${fly.app()}`);
      await fly.destroyMachine(machineId);
      const runId = machine.metadata[FLY_METADATA.runId];
      const run = runId ? await store.runs.getRun(runId) : undefined;
      const result: DestroyedSession = { machineId, runSettled: false, markerRemoved: false, dedupCleared: false, ...(runId ? { runId } : {}) };
      if (run) {
        result.issue = run.identifier;
        result.runSettled = await cancelRun(deps, run, machineId);
        // A shadow leg is inert: the ticket's marker and dedup row belong to its primary, which runs on.
        if (!run.shadowOf) {
          // The ticket goes back to the queue: no in-progress mark, no dedup hold.
          const item = await ticketOf(run);
          const tracker = trackers[run.tracker];
          if (item && tracker) {
            await tracker.removeMarker(item, markerFor(run));
            result.markerRemoved = true;
          }
          result.dedupCleared = await store.dedup.delete(run.issueId);
        }
      } else if (machine.metadata[FLY_METADATA.issue]) {
        result.issue = machine.metadata[FLY_METADATA.issue];
      }
      await store.audit.append({
        at: new Date(clock()).toISOString(),
        actor,
        action: 'session.destroyed',
        target: machineId,
        after: { name: machine.name, ...(runId ? { runId } : {}), ...(result.issue ? { issue: result.issue } : {}), runSettled: result.runSettled, dedupCleared: result.dedupCleared },
      });
      log.info({ machineId, runId, issue: result.issue }, 'session destroyed by an operator');
      return result;
    },
  };
}

/** A planning run holds the `planning` mark; every other phase holds `working`. */
function markerFor(run: Run): WorkMarker {
  return run.phase === 'plan' ? 'planning' : 'working';
}

function uptimeSeconds(machine: FlyMachineInfo, now: number): number {
  const created = Date.parse(machine.createdAt);
  return Number.isFinite(created) ? Math.max(0, Math.round((now - created) / 1000)) : 0;
}

/**
 * Settles a live run as cancelled. The lost-runner path covers the usual case
 * (its job is this machine); a run still `claimed`/`queued` has no job id
 * recorded yet, so it is cancelled directly.
 */
async function cancelRun(deps: SessionsServiceDeps, run: Run, machineId: string): Promise<boolean> {
  if (isTerminal(run.status)) return false;
  const reason = 'was destroyed by an operator from the Sessions panel';
  if (run.upstreamId === machineId) {
    return (await settleLostRunner(deps.settle, { runId: run.id, upstreamId: machineId, reason, cancelled: true })) !== undefined;
  }
  if (run.upstreamId !== undefined) return false; // the run moved on to another job; this machine was a leftover
  try {
    await deps.store.runs.updateRun(
      run.id,
      { status: 'cancelled', failureReason: `The runner ${reason}`, failedStep: 'runner', finishedAt: new Date(deps.clock()).toISOString() },
      { expectAttempt: run.attempt, expectStatus: ['queued', 'claimed', 'launching', 'running'] },
    );
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}
