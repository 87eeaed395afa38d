import type { EmulatorRequest, EmulatorResponse, EmulatorRouter } from '../emulator-server.js';
import type { FlyState } from './fly-state.js';
import type { FlyApp, FlyMachine, MachineConfig, MachineState, WaitableState } from './fly-types.js';

export interface MachineRouteOptions {
  state: FlyState;
  defaultRegion: string;
  /** Called after a machine is created and should launch; the emulator decides when it reaches `started`. */
  launch: (machine: FlyMachine) => void;
}

const WAITABLE: WaitableState[] = ['started', 'stopped', 'suspended', 'destroyed'];
const MAX_WAIT_S = 60;

function flyError(status: number, error: string): EmulatorResponse {
  return { status, body: { error } };
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A query parameter the Machines API reference types `boolean`: absent is
 * false, `true`/`false` are themselves, anything else (an empty
 * `include_deleted=`) is refused with 400 before the request does anything.
 */
function booleanQuery(req: EmulatorRequest, name: string): boolean | EmulatorResponse {
  const value = req.query.get(name);
  if (value === null) return false;
  if (value === 'true' || value === 'false') return value === 'true';
  return flyError(400, `invalid_argument: ${name} must be a boolean (true or false), got ${JSON.stringify(value)}`);
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value)).map(([k, v]) => [k, String(v)]));
}

export function machineShape(machine: FlyMachine): Record<string, unknown> {
  const [repository, tag] = machine.config.image.split(':');
  return {
    id: machine.id,
    name: machine.name,
    state: machine.state,
    region: machine.region,
    instance_id: machine.instanceId,
    private_ip: machine.privateIp,
    config: machine.config,
    incomplete_config: null,
    image_ref: { registry: 'registry.fly.io', repository, tag: tag ?? 'latest', digest: `sha256:${machine.instanceId.toLowerCase()}`, labels: {} },
    created_at: iso(machine.createdAt),
    updated_at: iso(machine.updatedAt),
    events: machine.events.map((e) => ({
      id: e.id,
      type: e.type,
      status: e.status,
      source: e.source,
      timestamp: e.timestamp,
      ...(e.exitCode !== undefined ? { request: { exit_event: { exit_code: e.exitCode, requested_stop: false, restarting: false } } } : {}),
    })),
    checks: [],
    host_status: 'ok',
  };
}

function appShape(app: FlyApp): Record<string, unknown> {
  return { id: app.id, name: app.name, status: app.status, organization: { name: app.orgSlug, slug: app.orgSlug } };
}

/** Reads the create body into a full config, or answers why not (400 like Fly). */
function parseConfig(body: Record<string, unknown>): MachineConfig | string {
  const config = record(body.config);
  if (typeof config.image !== 'string' || config.image === '') return 'invalid_argument: config.image is required';
  const guest = record(config.guest);
  const cpus = guest.cpus === undefined ? 1 : Number(guest.cpus);
  const memory = guest.memory_mb === undefined ? 256 : Number(guest.memory_mb);
  if (!Number.isInteger(cpus) || cpus < 1 || !Number.isInteger(memory) || memory < 256) {
    return 'invalid_argument: guest.cpus must be ≥ 1 and guest.memory_mb ≥ 256';
  }
  const restart = record(config.restart);
  return {
    ...config,
    image: config.image,
    guest: { cpu_kind: typeof guest.cpu_kind === 'string' ? guest.cpu_kind : 'shared', cpus, memory_mb: memory },
    env: stringMap(config.env),
    metadata: stringMap(config.metadata),
    auto_destroy: config.auto_destroy === true,
    restart: { ...restart, policy: typeof restart.policy === 'string' ? restart.policy : 'on-failure' },
  };
}

/** The Machines REST API under `/v1`, as fly-admin calls it. */
export function registerMachineRoutes(router: EmulatorRouter, options: MachineRouteOptions): void {
  const { state } = options;
  const live = (req: EmulatorRequest): FlyMachine | EmulatorResponse => {
    if (!state.apps.has(req.params.app ?? '')) return flyError(404, 'app not found');
    const machine = state.machine(req.params.app ?? '', req.params.id ?? '');
    return machine ?? flyError(404, 'machine not found');
  };
  const isResponse = (value: FlyMachine | EmulatorResponse): value is EmulatorResponse => 'status' in value && !('id' in value);

  router.on('GET', '/v1/apps', (req) => {
    const org = req.query.get('org_slug');
    const apps = [...state.apps.values()].filter((a) => !org || a.orgSlug === org);
    return {
      status: 200,
      body: {
        total_apps: apps.length,
        apps: apps.map((a) => ({ name: a.name, machine_count: state.machinesOf(a.name).filter((m) => m.state !== 'destroyed').length, network: a.network })),
      },
    };
  });

  router.on('POST', '/v1/apps', (req) => {
    const body = record(req.body);
    const name = body.app_name;
    if (typeof name !== 'string' || !/^[a-z0-9-]{2,63}$/.test(name)) return flyError(400, 'invalid_argument: app_name');
    if (state.apps.has(name)) return flyError(409, `already_exists: app ${name} already exists`);
    state.createApp(name, typeof body.org_slug === 'string' ? body.org_slug : 'personal', typeof body.network === 'string' ? body.network : 'default');
    return { status: 201 };
  });

  router.on('GET', '/v1/apps/:app', (req) => {
    const app = state.apps.get(req.params.app ?? '');
    return app ? { status: 200, body: appShape(app) } : flyError(404, 'app not found');
  });

  router.on('DELETE', '/v1/apps/:app', (req) => {
    const name = req.params.app ?? '';
    if (!state.apps.delete(name)) return flyError(404, 'app not found');
    for (const machine of state.machinesOf(name)) state.machines.delete(machine.id);
    state.secrets.delete(name);
    return { status: 202 };
  });

  router.on('GET', '/v1/apps/:app/machines', (req) => {
    const app = req.params.app ?? '';
    if (!state.apps.has(app)) return flyError(404, 'app not found');
    const includeDeleted = booleanQuery(req, 'include_deleted');
    if (typeof includeDeleted !== 'boolean') return includeDeleted;
    const region = req.query.get('region');
    // The reference declares include_deleted and region only; other keys (a `metadata.<key>` filter) are not honoured.
    const machines = state
      .machinesOf(app)
      .filter((m) => includeDeleted || m.state !== 'destroyed')
      .filter((m) => !region || m.region === region)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return { status: 200, body: machines.map(machineShape) };
  });

  router.on('POST', '/v1/apps/:app/machines', (req) => {
    const app = req.params.app ?? '';
    if (!state.apps.has(app)) return flyError(404, 'app not found');
    const body = record(req.body);
    const config = parseConfig(body);
    if (typeof config === 'string') return flyError(400, config);
    const name = typeof body.name === 'string' && body.name !== '' ? body.name : undefined;
    if (name && state.machinesOf(app).some((m) => m.name === name && m.state !== 'destroyed')) {
      return flyError(409, `already_exists: a machine named ${name} already exists`);
    }
    const machine = state.addMachine({
      app,
      ...(name ? { name } : {}),
      region: typeof body.region === 'string' && body.region !== '' ? body.region : options.defaultRegion,
      config,
    });
    if (body.skip_launch !== true) options.launch(machine);
    return { status: 200, body: machineShape(machine) };
  });

  router.on('GET', '/v1/apps/:app/machines/:id', (req) => {
    const machine = live(req);
    return isResponse(machine) ? machine : { status: 200, body: machineShape(machine) };
  });

  router.on('POST', '/v1/apps/:app/machines/:id/stop', (req) => {
    const machine = live(req);
    if (isResponse(machine)) return machine;
    if (machine.state === 'destroyed') return flyError(412, 'failed_precondition: machine is destroyed');
    if (machine.state !== 'stopped') {
      state.setMachineState(machine.app, machine.id, 'stopped', 'user');
      if (machine.config.auto_destroy) state.setMachineState(machine.app, machine.id, 'destroyed');
    }
    return { status: 200, body: { ok: true } };
  });

  // Restart Machine: stops and starts it again in place (same id, config and env); 200 with no body fields of note.
  router.on('POST', '/v1/apps/:app/machines/:id/restart', (req) => {
    const machine = live(req);
    if (isResponse(machine)) return machine;
    if (machine.state === 'destroyed') return flyError(412, 'failed_precondition: machine is destroyed');
    if (machine.state !== 'started') return flyError(412, `failed_precondition: machine is ${machine.state}, not started`);
    state.setMachineState(machine.app, machine.id, 'stopped', 'user');
    state.setMachineState(machine.app, machine.id, 'started', 'user');
    machine.restarts = (machine.restarts ?? 0) + 1;
    return { status: 200, body: { ok: true } };
  });

  router.on('POST', '/v1/apps/:app/machines/:id/start', (req) => {
    const machine = live(req);
    if (isResponse(machine)) return machine;
    if (machine.state === 'destroyed') return flyError(412, 'failed_precondition: machine is destroyed');
    const previous: MachineState = machine.state;
    state.setMachineState(machine.app, machine.id, 'started', 'user');
    return { status: 200, body: { previous_state: previous, migrated: false, new_host: '' } };
  });

  router.on('DELETE', '/v1/apps/:app/machines/:id', (req) => {
    const machine = live(req);
    if (isResponse(machine)) return machine;
    const force = booleanQuery(req, 'force');
    if (typeof force !== 'boolean') return force;
    if (machine.state === 'destroyed') return flyError(404, 'machine not found');
    if (!force && (machine.state === 'started' || machine.state === 'starting')) {
      return flyError(412, 'failed_precondition: unable to destroy machine, not currently stopped, suspended or failed');
    }
    state.setMachineState(machine.app, machine.id, 'destroyed', 'user');
    return { status: 200, body: { ok: true } };
  });

  router.on('GET', '/v1/apps/:app/machines/:id/wait', async (req) => {
    const machine = live(req);
    if (isResponse(machine)) return machine;
    const wanted = (req.query.get('state') ?? 'started') as WaitableState;
    if (!WAITABLE.includes(wanted)) return flyError(400, `invalid_argument: state must be one of ${WAITABLE.join(', ')}`);
    const instance = req.query.get('instance_id');
    if (instance && instance !== machine.instanceId) return flyError(400, 'invalid_argument: instance_id does not match');
    const rawTimeout = Number((req.query.get('timeout') ?? '60').replace(/s$/, ''));
    const timeoutS = Number.isFinite(rawTimeout) && rawTimeout > 0 ? Math.min(rawTimeout, MAX_WAIT_S) : MAX_WAIT_S;
    const reached = await state.waitUntil(() => machine.state === wanted, timeoutS * 1000);
    return reached ? { status: 200, body: { ok: true } } : flyError(408, `deadline_exceeded: machine did not reach ${wanted} in ${timeoutS}s`);
  });

  router.on('GET', '/v1/apps/:app/machines/:id/events', (req) => {
    const machine = live(req);
    return isResponse(machine) ? machine : { status: 200, body: machineShape(machine).events };
  });
}
