import { createRequire } from 'node:module';
import type flyClientModule from 'fly-admin/dist/client.js';

/**
 * fly-admin's `createClient` takes no base URLs, so tests build its `Client`
 * directly. The package is CommonJS (`exports.default = Client`) and ESM
 * loaders disagree on what its default import is, so load it with `require`.
 */
type FlyClientClass = (typeof flyClientModule)['default'];
export type FlyClient = InstanceType<FlyClientClass>;

const require = createRequire(import.meta.url);
const { default: FlyClient } = require('fly-admin/dist/client.js') as { default: FlyClientClass };

export function createFlyClient(token: string, baseUrl: string): FlyClient {
  return new FlyClient(token, { apiUrl: baseUrl, graphqlUrl: baseUrl });
}
