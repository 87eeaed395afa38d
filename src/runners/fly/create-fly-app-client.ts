import type { MachineResponse } from 'fly-admin/dist/lib/machine.js';
import type { FlyAppClient, FlyMachineInfo } from './fly-app-client.js';
import { forceDestroyMachine } from './force-destroy-machine.js';
import { loadFlyClient, type FlyClient, type FlyClientConfig } from './load-fly-client.js';
import { isGone, statusOf, toFlyServiceError } from './to-fly-service-error.js';

export interface FlyAppClientOptions {
  client: FlyClient | FlyClientConfig;
  app: () => string;
}

/** Sent through `gqlPostOrThrow`: fly-admin has mutations for secrets but no query that lists them. */
const SECRETS_QUERY = 'query ($appName: String!) { app(name: $appName) { secrets { name digest createdAt } } }';

interface SecretsAnswer {
  app?: { secrets?: Array<{ name?: unknown; digest?: unknown; createdAt?: unknown }> } | null;
}

/**
 * The operator-facing side of the Fly sessions app (`FlyAppClient`) over
 * fly-admin. Vendor data is converted here; failures become ExternalServiceError.
 */
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
        await forceDestroyMachine(client, appName, id);
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
