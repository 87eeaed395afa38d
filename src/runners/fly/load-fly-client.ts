import { createRequire } from 'node:module';
import type flyClientModule from 'fly-admin/dist/client.js';

type FlyClientClass = (typeof flyClientModule)['default'];
export type FlyClient = InstanceType<FlyClientClass>;

export interface FlyClientConfig {
  token: string;
  /** Machines REST API base (default https://api.machines.dev). */
  apiUrl?: string;
  /** GraphQL API base (default https://api.fly.io). */
  graphqlUrl?: string;
}

/**
 * fly-admin is CommonJS with `exports.default = Client`, and its `createClient`
 * takes no base URLs, so the class is loaded with `require` (ESM loaders
 * disagree on what the default import of such a module is).
 */
export function loadFlyClient(config: FlyClientConfig): FlyClient {
  const require = createRequire(import.meta.url);
  const { default: Client } = require('fly-admin/dist/client.js') as { default: FlyClientClass };
  return new Client(config.token, {
    ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
    ...(config.graphqlUrl ? { graphqlUrl: config.graphqlUrl } : {}),
  });
}
