import type { ApiMachineRestartPolicyEnum } from 'fly-admin/dist/lib/types.js';
import type { ListMachineRequest, MachineResponse } from 'fly-admin/dist/lib/machine.js';
import type { Mapping } from '../../domain/mapping.js';
import { imageNotAllowedMessage, isImageAllowed, projectRunnerImage } from '../../domain/runner-image.js';
import { ExternalServiceError } from '../../errors/index.js';
import type { Logger } from '../../logging/create-logger.js';
import type { DispatchRequest, RunnerBackend, UpstreamRun } from '../runner-backend.js';
import { loadFlyClient, type FlyClient, type FlyClientConfig } from './load-fly-client.js';
import { forceDestroyMachine } from './force-destroy-machine.js';
import { isGone, toFlyServiceError } from './to-fly-service-error.js';

/** Metadata keys every run machine carries; `find` and `listLive` select on them. */
export const FLY_METADATA = {
  runId: 'ai_implement_run_id',
  attempt: 'ai_implement_attempt',
  issue: 'ai_implement_issue',
  mapping: 'ai_implement_mapping',
  tenant: 'ai_implement_tenant',
} as const;

const LIVE_STATES = new Set(['created', 'starting', 'started']);

export interface FlyBackendOptions {
  /** A ready client, or what to build one from. */
  client: FlyClient | FlyClientConfig;
  /** The sessions app (a setting, so read on each call). */
  app: () => string;
  region?: () => string | undefined;
  /** Runner image used when the mapping names none. */
  image: string;
  /**
   * RUNNER_IMAGE_ALLOWLIST. A mapping stored before the list changed may name
   * an image it no longer covers: such a dispatch is refused before any machine exists.
   */
  imageAllowlist?: readonly string[];
  /** Machine size when the mapping names none. */
  defaultGuest?: { cpus: number; memoryMb: number };
  log?: Logger;
}

/** One Fly machine per run attempt, named `run-<runId>`, destroyed when it exits. */
export function createFlyBackend(options: FlyBackendOptions): RunnerBackend {
  const client = 'Machine' in options.client ? options.client : loadFlyClient(options.client);
  const guest = options.defaultGuest ?? { cpus: 2, memoryMb: 4096 };

  async function listMachines(query: { include_deleted?: 'true' }, action: string): Promise<MachineResponse[]> {
    const app = options.app();
    try {
      // fly-admin types include_deleted as '' and sends it as `include_deleted=`; the
      // Machines API reference declares a boolean, so the value sent is `true`.
      return await client.Machine.listMachines({ app_name: app, ...query } as unknown as ListMachineRequest);
    } catch (error) {
      throw toFlyServiceError(error, action);
    }
  }

  return {
    kind: 'fly-machines',

    async dispatch(request: DispatchRequest): Promise<UpstreamRun> {
      const { mapping } = request;
      const image = projectRunnerImage(mapping) ?? options.image;
      if (options.imageAllowlist && !isImageAllowed(image, options.imageAllowlist)) {
        // Refused here, before any request, so it is a clean refusal (nothing was created): a status says so.
        throw new ExternalServiceError(`runner image ${imageNotAllowedMessage(image, options.imageAllowlist)}`, { service: 'fly', retryable: false, status: 422 });
      }
      const region = options.region?.();
      let machine: MachineResponse;
      try {
        machine = await client.Machine.createMachine({
          app_name: options.app(),
          name: machineName(request.runId),
          ...(region ? { region } : {}),
          config: {
            image,
            guest: { cpu_kind: 'shared', cpus: mapping.machine?.cpus ?? guest.cpus, memory_mb: mapping.machine?.memoryMb ?? guest.memoryMb },
            // request.secrets holds only this mapping's secrets; the machine is single-tenant.
            env: { ...request.env, ...request.secrets },
            metadata: {
              [FLY_METADATA.runId]: request.runId,
              [FLY_METADATA.attempt]: String(request.attempt),
              [FLY_METADATA.issue]: request.issueIdentifier ?? '',
              [FLY_METADATA.mapping]: mapping.teamKey,
              [FLY_METADATA.tenant]: `${mapping.owner}/${mapping.repo}`,
            },
            auto_destroy: true,
            // fly-admin types the policy as a TypeScript enum; the wire value is the string.
            restart: { policy: 'no' as unknown as ApiMachineRestartPolicyEnum },
          },
        });
      } catch (error) {
        throw toFlyServiceError(error, 'create machine');
      }
      options.log?.info({ runId: request.runId, machineId: machine.id, image }, 'fly machine created');
      return toUpstreamRun(machine);
    },

    async find(runId: string, _mapping: Mapping): Promise<UpstreamRun | undefined> {
      // Destroyed machines count: an auto-destroyed machine still proves the
      // job started, and re-dispatching it would run the ticket twice.
      // The reference declares no metadata filter for listing, so the run's machines are picked out here.
      const machines = await listMachines({ include_deleted: 'true' }, 'find machine');
      const ours = machines
        .filter((m) => m.config.metadata?.[FLY_METADATA.runId] === runId)
        .sort((a, b) => liveRank(b) - liveRank(a) || Date.parse(b.created_at) - Date.parse(a.created_at));
      return ours[0] ? toUpstreamRun(ours[0]) : undefined;
    },

    async restart(upstreamId: string, _mapping: Mapping): Promise<void> {
      try {
        // POST /v1/apps/{app}/machines/{id}/restart: same machine, same env (and so the same run tokens).
        await client.Machine.restartMachine({ app_name: options.app(), machine_id: upstreamId });
      } catch (error) {
        throw toFlyServiceError(error, 'restart machine');
      }
    },

    async cancel(upstreamId: string, _mapping: Mapping): Promise<void> {
      const app = options.app();
      try {
        await client.Machine.stopMachine({ app_name: app, machine_id: upstreamId });
      } catch (error) {
        // 404 / 412: already gone or destroyed, which is the goal.
        if (!isGone(error)) throw toFlyServiceError(error, 'stop machine');
      }
      try {
        // A stopped auto_destroy machine is usually destroyed already; kill whatever is left.
        await forceDestroyMachine(client, app, upstreamId);
      } catch (error) {
        if (!isGone(error)) throw toFlyServiceError(error, 'destroy machine');
      }
      options.log?.info({ machineId: upstreamId }, 'fly machine cancelled');
    },

    async listLive(): Promise<UpstreamRun[]> {
      const machines = await listMachines({}, 'list machines');
      return machines.filter((m) => LIVE_STATES.has(m.state) && m.config.metadata?.[FLY_METADATA.runId]).map(toUpstreamRun);
    },
  };
}

export function machineName(runId: string): string {
  return `run-${runId}`;
}

function liveRank(machine: MachineResponse): number {
  return machine.state === 'destroyed' ? 0 : 1;
}

function toUpstreamRun(machine: MachineResponse): UpstreamRun {
  const metadata = machine.config.metadata ?? {};
  const issue = metadata[FLY_METADATA.issue];
  const mappingKey = metadata[FLY_METADATA.mapping];
  return {
    upstreamId: machine.id,
    runId: metadata[FLY_METADATA.runId] ?? '',
    state: stateOf(machine),
    sessionImage: machine.config.image,
    startedAt: machine.created_at,
    ...(mappingKey ? { mappingKey } : {}),
    ...(issue ? { issueIdentifier: issue } : {}),
  };
}

function stateOf(machine: MachineResponse): UpstreamRun['state'] {
  const state = String(machine.state);
  if (state === 'created' || state === 'starting') return 'pending';
  if (state === 'started' || state === 'stopping') return 'running';
  if (state === 'failed' || state === 'replacing') return 'failed';
  const exit = (machine.events ?? []).find((e) => e.type === 'exit');
  if (exit && exit.type === 'exit') {
    if (exit.request?.exit_event?.requested_stop) return 'cancelled';
    return exit.request?.exit_event?.exit_code === 0 ? 'succeeded' : 'failed';
  }
  return 'unknown';
}
