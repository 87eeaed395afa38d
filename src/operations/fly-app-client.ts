import type { MachineResponse } from 'fly-admin/dist/lib/machine.js';
import { loadFlyClient, type FlyClient, type FlyClientConfig } from '../runners/fly/load-fly-client.js';
import { statusOf, toFlyServiceError } from '../runners/fly/to-fly-service-error.js';

/** A machine of the sessions app, in the project's terms. */
export interface FlyMachineInfo {
  id: string;
  name: string;
  state: string;
  region: string;
  image?: string;
  createdAt: string;
  metadata: Record<string, string>;
}

/** What Fly keeps about an app secret: never its value. */
export interface FlySecretInfo {
  name: string;
  digest: string;
  createdAt: string;
}

/**
 * The operator-facing side of the Fly sessions app: every machine (not only
 * run machines, which is all the runner backend lists) and the app secrets.
 * Vendor data is converted here; failures become ExternalServiceError.
 */
export interface FlyAppClient {
  /** The sessions app these calls act on (a setting, so read per call). */
  app(): string;
  listMachines(): Promise<FlyMachineInfo[]>;
  /** Undefined when Fly does not know the machine. */
  getMachine(id: string): Promise<FlyMachineInfo | undefined>;
  /** Stops and force-deletes; a machine that is already gone is not an error. */
  destroyMachine(id: string): Promise<void>;
  listSecrets(): Promise<FlySecretInfo[]>;
  setSecrets(values: ReadonlyArray<{ key: string; value: string }>): Promise<void>;
  unsetSecrets(keys: readonly string[]): Promise<void>;
}

export interface FlyAppClientOptions {
  client: FlyClient | FlyClientConfig;
  app: () => string;
}

/** Sent through `gqlPostOrThrow`: fly-admin has mutations for secrets but no query that lists them. */
const SECRETS_QUERY = 'query ($appName: String!) { app(name: $appName) { secrets { name digest createdAt } } }';

interface SecretsAnswer {
  app?: { secrets?: Array<{ name?: unknown; digest?: unknown; createdAt?: unknown }> } | null;
}

export function createFlyAppClient(options: FlyAppClientOptions): FlyAppClient {
  const client = 'Machine' in options.client ? options.client : loadFlyClient(options.client);
  const app = options.app;

  return {
    app,

    async listMachines() {
      try {
        const machines = await client.Machine.listMachines({ app_name: app() });
        return machines.map(toMachineInfo);
      } catch (error) {
        throw toFlyServiceError(error, 'list machines');
      }
    },

    async getMachine(id) {
      try {
        return toMachineInfo(await client.Machine.getMachine({ app_name: app(), machine_id: id }));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toFlyServiceError(error, 'get machine');
      }
    },

    async destroyMachine(id) {
      const appName = app();
      try {
        await client.Machine.stopMachine({ app_name: appName, machine_id: id });
      } catch (error) {
        // 404/412: already stopped, destroyed or gone; the delete below settles it.
        if (!isGone(error)) throw toFlyServiceError(error, 'stop machine');
      }
      try {
        await client.Machine.deleteMachine({ app_name: appName, machine_id: id, force: true });
      } catch (error) {
        if (!isGone(error)) throw toFlyServiceError(error, 'destroy machine');
      }
    },

    async listSecrets() {
      let answer: SecretsAnswer;
      try {
        answer = await client.gqlPostOrThrow<string, SecretsAnswer>({ query: SECRETS_QUERY, variables: { appName: app() } });
      } catch (error) {
        throw toFlyServiceError(error, 'list secrets');
      }
      return (answer.app?.secrets ?? [])
        .filter((s) => typeof s.name === 'string')
        .map((s) => ({ name: String(s.name), digest: String(s.digest ?? ''), createdAt: String(s.createdAt ?? '') }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    async setSecrets(values) {
      try {
        await client.Secret.setSecrets({ appId: app(), secrets: values.map((v) => ({ key: v.key, value: v.value })) });
      } catch (error) {
        throw toFlyServiceError(error, 'set secrets');
      }
    },

    async unsetSecrets(keys) {
      try {
        await client.Secret.unsetSecrets({ appId: app(), keys: [...keys] });
      } catch (error) {
        throw toFlyServiceError(error, 'unset secrets');
      }
    },
  };
}

function isGone(error: unknown): boolean {
  const status = statusOf(error);
  return status === 404 || status === 412;
}

function toMachineInfo(machine: MachineResponse): FlyMachineInfo {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(machine.config?.metadata ?? {})) if (typeof value === 'string') metadata[key] = value;
  return {
    id: machine.id,
    name: machine.name,
    state: String(machine.state),
    region: machine.region,
    ...(machine.config?.image ? { image: machine.config.image } : {}),
    createdAt: machine.created_at,
    metadata,
  };
}
