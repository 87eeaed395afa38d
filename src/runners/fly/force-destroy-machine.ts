import type { FlyClient } from './load-fly-client.js';

/**
 * Destroys a machine even when it is running: `DELETE …/machines/{id}?force=true`.
 * fly-admin's `deleteMachine({ force: true })` sends `?kill=true`, which the
 * Machines API reference does not name; its parameter is the boolean `force`.
 */
export async function forceDestroyMachine(client: FlyClient, app: string, machineId: string): Promise<void> {
  await client.restOrThrow(`apps/${encodeURIComponent(app)}/machines/${encodeURIComponent(machineId)}?force=true`, 'DELETE');
}
