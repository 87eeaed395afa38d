/** Plain records the Fly emulator keeps. Tests seed and inspect these directly. */

export type MachineState =
  | 'created'
  | 'starting'
  | 'started'
  | 'stopping'
  | 'stopped'
  | 'suspended'
  | 'replacing'
  | 'destroying'
  | 'destroyed'
  | 'failed';

/** The states `GET …/wait?state=` accepts, as on Fly. */
export type WaitableState = 'started' | 'stopped' | 'suspended' | 'destroyed';

export interface MachineGuest {
  cpu_kind: string;
  cpus: number;
  memory_mb: number;
}

export interface MachineConfig {
  image: string;
  guest: MachineGuest;
  env: Record<string, string>;
  metadata: Record<string, string>;
  auto_destroy: boolean;
  restart: { policy: string; max_retries?: number };
  /** Anything else the client sent is kept and echoed back. */
  [key: string]: unknown;
}

export interface MachineEvent {
  id: string;
  type: 'launch' | 'start' | 'stop' | 'exit' | 'destroy';
  status: MachineState;
  source: 'user' | 'flyd';
  timestamp: number;
  exitCode?: number;
}

export interface FlyMachine {
  id: string;
  app: string;
  name: string;
  region: string;
  state: MachineState;
  instanceId: string;
  privateIp: string;
  config: MachineConfig;
  createdAt: Date;
  updatedAt: Date;
  events: MachineEvent[];
  exitCode: number | null;
  /** How often the machine was restarted through the API (emulator bookkeeping, for tests). */
  restarts?: number;
}

export interface FlyApp {
  id: string;
  name: string;
  orgSlug: string;
  network: string;
  status: 'deployed' | 'pending' | 'suspended';
  createdAt: Date;
}

export interface FlySecret {
  name: string;
  value: string;
  digest: string;
  createdAt: Date;
}

export interface FlyRelease {
  id: string;
  version: number;
  reason: string;
  description: string;
  createdAt: Date;
}
