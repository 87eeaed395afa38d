import { createHash, randomBytes } from 'node:crypto';
import type { FlyApp, FlyMachine, FlyRelease, FlySecret, MachineConfig, MachineEvent, MachineState } from './fly-types.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ADJECTIVES = ['autumn', 'hidden', 'bitter', 'misty', 'silent', 'empty', 'dry', 'dark', 'summer', 'icy'];
const NOUNS = ['waterfall', 'river', 'breeze', 'moon', 'rain', 'wind', 'sea', 'morning', 'snow', 'lake'];

/** Fly machine ids are 14 lower-case hex characters. */
export function newMachineId(): string {
  return randomBytes(7).toString('hex');
}

/** Instance ids look like ULIDs (26 Crockford base32 characters). */
function newInstanceId(): string {
  const bytes = randomBytes(26);
  return `01${[...bytes.subarray(2)].map((b) => CROCKFORD[b % 32]).join('')}`;
}

function randomName(): string {
  const pick = (list: string[]): string | undefined => list[(randomBytes(1)[0] ?? 0) % list.length];
  return `${pick(ADJECTIVES) ?? 'quiet'}-${pick(NOUNS) ?? 'field'}-${1000 + (randomBytes(2).readUInt16BE(0) % 9000)}`;
}

export interface NewMachine {
  app: string;
  name?: string;
  region: string;
  config: MachineConfig;
}

/**
 * Everything the Fly emulator knows, in plain maps: apps, machines and
 * secrets (values kept so tests can assert what was set). State changes wake
 * anyone blocked in a `wait` request.
 */
export class FlyState {
  readonly apps = new Map<string, FlyApp>();
  readonly machines = new Map<string, FlyMachine>();
  readonly secrets = new Map<string, Map<string, FlySecret>>();
  readonly releases = new Map<string, FlyRelease[]>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly now: () => Date) {}

  createApp(name: string, orgSlug = 'personal', network = 'default'): FlyApp {
    const app: FlyApp = { id: randomBytes(8).toString('hex'), name, orgSlug, network, status: 'deployed', createdAt: this.now() };
    this.apps.set(name, app);
    return app;
  }

  machinesOf(app: string): FlyMachine[] {
    return [...this.machines.values()].filter((m) => m.app === app);
  }

  machine(app: string, id: string): FlyMachine | undefined {
    const machine = this.machines.get(id);
    return machine?.app === app ? machine : undefined;
  }

  addMachine(spec: NewMachine): FlyMachine {
    const now = this.now();
    const machine: FlyMachine = {
      id: newMachineId(),
      app: spec.app,
      name: spec.name ?? randomName(),
      region: spec.region,
      state: 'created',
      instanceId: newInstanceId(),
      privateIp: `fdaa:0:${randomBytes(2).toString('hex')}:a7b:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}:1`,
      config: spec.config,
      createdAt: now,
      updatedAt: now,
      events: [],
      exitCode: null,
    };
    this.machines.set(machine.id, machine);
    this.record(machine, 'launch', 'created', 'user');
    this.notify();
    return machine;
  }

  /** Moves a machine to a state (test helper and the routes' primitive). */
  setMachineState(app: string, id: string, state: MachineState, source: MachineEvent['source'] = 'flyd'): FlyMachine {
    const machine = this.requireMachine(app, id);
    if (machine.state === state) return machine;
    machine.state = state;
    machine.updatedAt = this.now();
    const type: MachineEvent['type'] =
      state === 'started' ? 'start' : state === 'destroyed' ? 'destroy' : state === 'stopped' ? 'stop' : 'start';
    this.record(machine, type, state, source);
    this.notify();
    return machine;
  }

  /**
   * The machine's process exits: it stops, and an `auto_destroy` machine is
   * destroyed right after, as on Fly.
   */
  exitMachine(app: string, id: string, exitCode = 0): FlyMachine {
    const machine = this.requireMachine(app, id);
    machine.exitCode = exitCode;
    this.record(machine, 'exit', 'stopped', 'flyd', exitCode);
    this.setMachineState(app, id, 'stopped');
    if (machine.config.auto_destroy) this.setMachineState(app, id, 'destroyed');
    return machine;
  }

  /** Backdates a machine, for reaper tests. */
  setCreatedAt(app: string, id: string, at: Date): FlyMachine {
    const machine = this.requireMachine(app, id);
    machine.createdAt = at;
    if (machine.updatedAt.getTime() < at.getTime()) machine.updatedAt = at;
    return machine;
  }

  requireMachine(app: string, id: string): FlyMachine {
    const machine = this.machine(app, id);
    if (!machine) throw new Error(`unknown machine ${app}/${id}`);
    return machine;
  }

  /** Secret name → value for an app (what was set, which the API never reveals). */
  secretValues(app: string): Record<string, string> {
    return Object.fromEntries([...(this.secrets.get(app)?.values() ?? [])].map((s) => [s.name, s.value]));
  }

  setSecrets(app: string, values: Array<{ key: string; value: string }>, replaceAll = false): FlyRelease {
    const current = replaceAll ? new Map<string, FlySecret>() : (this.secrets.get(app) ?? new Map<string, FlySecret>());
    for (const { key, value } of values) {
      current.set(key, { name: key, value, digest: createHash('sha256').update(value).digest('hex').slice(0, 16), createdAt: this.now() });
    }
    this.secrets.set(app, current);
    return this.release(app, `Set secrets ${values.map((v) => v.key).join(', ')}`);
  }

  unsetSecrets(app: string, keys: string[]): FlyRelease {
    const current = this.secrets.get(app);
    for (const key of keys) current?.delete(key);
    return this.release(app, `Remove secrets ${keys.join(', ')}`);
  }

  /** Resolves true once `predicate` holds, false after `timeoutMs`. */
  waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        resolve(false);
      }, timeoutMs);
      this.listeners.add(check);
    });
  }

  private release(app: string, description: string): FlyRelease {
    const list = this.releases.get(app) ?? [];
    const release: FlyRelease = {
      id: randomBytes(6).toString('hex'),
      version: list.length + 1,
      reason: 'change_secrets',
      description,
      createdAt: this.now(),
    };
    list.push(release);
    this.releases.set(app, list);
    return release;
  }

  private record(machine: FlyMachine, type: MachineEvent['type'], status: MachineState, source: MachineEvent['source'], exitCode?: number): void {
    machine.events.unshift({
      id: newInstanceId(),
      type,
      status,
      source,
      timestamp: this.now().getTime(),
      ...(exitCode !== undefined ? { exitCode } : {}),
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
