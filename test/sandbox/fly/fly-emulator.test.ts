import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FlyEmulator } from '../../../src/sandbox/fly/index.js';
import type { ApiMachineRestartPolicyEnum } from 'fly-admin/dist/lib/types.js';
import { createFlyClient, type FlyClient } from './create-fly-client.js';

const LIST_SECRETS = `query($appName: String!) { app(name: $appName) { secrets { name digest createdAt } } }`;

interface SecretsAnswer {
  app: { secrets: Array<{ name: string; digest: string; createdAt: string; value?: string }> };
}

/** fly-admin rejects with an `Error` whose message is `<status>: <body>`; this returns that message. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error('expected fly-admin to reject');
}

const machineRequest = (name: string, runId: string) => ({
  app_name: 'ai-sessions',
  name,
  region: 'ams',
  config: {
    image: 'registry.fly.io/ai-runner:1.2.3',
    guest: { cpu_kind: 'shared' as const, cpus: 2, memory_mb: 2048 },
    env: { RUN_ID: runId },
    metadata: { run_id: runId, managed_by: 'ai-implement' },
    auto_destroy: true,
    // fly-admin types the policy as a TypeScript enum; the wire value is the string.
    restart: { policy: 'no' as unknown as ApiMachineRestartPolicyEnum },
  },
});

describe('FlyEmulator with the real fly-admin client', () => {
  const fly = new FlyEmulator({ token: 'fly-test-token' });
  let client: FlyClient;

  beforeAll(async () => {
    const url = await fly.start();
    client = createFlyClient('fly-test-token', url);
    await client.App.createApp({ app_name: 'ai-sessions', org_slug: 'acme' });
  });

  afterEach(() => {
    fly.server.clearFaults();
  });

  afterAll(async () => {
    await fly.stop();
  });

  it('creates, waits for, lists, gets, stops and deletes a machine', async () => {
    expect((await client.App.getApp('ai-sessions')).name).toBe('ai-sessions');

    const created = await client.Machine.createMachine(machineRequest('ai-run-1', 'run_1'));
    expect(created.id).toMatch(/^[0-9a-f]{14}$/);
    expect(created.state).toBe('created');
    expect(created.name).toBe('ai-run-1');
    expect(created.region).toBe('ams');
    expect(created.config.guest).toEqual({ cpu_kind: 'shared', cpus: 2, memory_mb: 2048 });
    expect(created.config.env).toEqual({ RUN_ID: 'run_1' });
    expect(Date.parse(created.created_at)).not.toBeNaN();

    await client.Machine.waitMachine({ app_name: 'ai-sessions', machine_id: created.id, state: 'started' as never, timeout: '5s' });
    expect(fly.state.machines.get(created.id)?.state).toBe('started');

    const listed = await client.Machine.listMachines('ai-sessions');
    expect(listed.map((m) => m.id)).toContain(created.id);
    const got = await client.Machine.getMachine({ app_name: 'ai-sessions', machine_id: created.id });
    expect(got.config.metadata).toEqual({ run_id: 'run_1', managed_by: 'ai-implement' });
    expect(got.state).toBe('started');

    const refused = await rejection(client.Machine.deleteMachine({ app_name: 'ai-sessions', machine_id: created.id }));
    expect(refused).toMatch(/^412: .*failed_precondition/);

    await client.Machine.stopMachine({ app_name: 'ai-sessions', machine_id: created.id });
    // auto_destroy: a stopped machine is gone.
    await client.Machine.waitMachine({ app_name: 'ai-sessions', machine_id: created.id, state: 'destroyed' as never, timeout: '5s' });
    expect((await client.Machine.listMachines('ai-sessions')).map((m) => m.id)).not.toContain(created.id);
    const withDeleted = await client.Machine.listMachines({ app_name: 'ai-sessions', include_deleted: 'true' } as never);
    expect(withDeleted.find((m) => m.id === created.id)?.state).toBe('destroyed');
    // The reference types include_deleted as a boolean: fly-admin's `include_deleted=` is refused.
    expect(await rejection(client.Machine.listMachines({ app_name: 'ai-sessions', include_deleted: '' }))).toMatch(/^400: .*include_deleted must be a boolean/);
  });

  it('force-deletes a running machine and keeps a non-auto-destroy machine after stop', async () => {
    const spec = machineRequest('ai-run-2', 'run_2');
    const created = await client.Machine.createMachine({ ...spec, config: { ...spec.config, auto_destroy: false } });
    await client.Machine.waitMachine({ app_name: 'ai-sessions', machine_id: created.id, state: 'started' as never });
    await client.Machine.stopMachine({ app_name: 'ai-sessions', machine_id: created.id });
    expect((await client.Machine.getMachine({ app_name: 'ai-sessions', machine_id: created.id })).state).toBe('stopped');
    const started = await client.Machine.startMachine({ app_name: 'ai-sessions', machine_id: created.id });
    expect(started).toMatchObject({ previous_state: 'stopped' });
    // fly-admin's force sends `kill=true`, which the reference does not name: the machine stays.
    expect(await rejection(client.Machine.deleteMachine({ app_name: 'ai-sessions', machine_id: created.id, force: true }))).toMatch(/^412: /);
    await client.restOrThrow(`apps/ai-sessions/machines/${created.id}?force=true`, 'DELETE');
    expect(fly.state.machines.get(created.id)?.state).toBe('destroyed');
    expect(fly.server.requestsTo('DELETE', created.id).at(-1)?.query).toEqual({ force: 'true' });
  });

  it('holds a wait open until the machine reaches the state, and times out with 408 otherwise', async () => {
    const created = await client.Machine.createMachine({ ...machineRequest('ai-run-3', 'run_3'), skip_launch: true });
    expect(created.state).toBe('created');
    const timedOut = await rejection(
      client.Machine.waitMachine({ app_name: 'ai-sessions', machine_id: created.id, state: 'started' as never, timeout: '0.2s' }),
    );
    expect(timedOut).toMatch(/^408: .*deadline_exceeded/);

    setTimeout(() => fly.state.setMachineState('ai-sessions', created.id, 'started'), 50);
    await client.Machine.waitMachine({ app_name: 'ai-sessions', machine_id: created.id, state: 'started' as never, timeout: '5s' });
    setTimeout(() => fly.state.exitMachine('ai-sessions', created.id, 0), 50);
    await client.Machine.waitMachine({ app_name: 'ai-sessions', machine_id: created.id, state: 'destroyed' as never, timeout: '5s' });
    expect(fly.state.machines.get(created.id)?.exitCode).toBe(0);
  });

  it('lists machines with their metadata and reports a backdated created_at', async () => {
    const created = await client.Machine.createMachine(machineRequest('ai-run-4', 'run_4'));
    const old = new Date(Date.now() - 6 * 3_600_000);
    fly.state.setCreatedAt('ai-sessions', created.id, old);
    const mine = (await client.Machine.listMachines('ai-sessions')).filter((m) => m.config.metadata?.run_id === 'run_4');
    expect(mine.map((m) => m.id)).toEqual([created.id]);
    expect(Date.parse(mine[0]?.created_at ?? '')).toBe(Math.floor(old.getTime() / 1000) * 1000);
  });

  it('sets, lists and unsets secrets without ever returning values', async () => {
    await client.Secret.setSecrets({
      appId: 'ai-sessions',
      secrets: [
        { key: 'ANTHROPIC_API_KEY', value: 'sk-ant-123' },
        { key: 'RUNNER_TOKEN', value: 'tok-456' },
      ],
    });
    expect(fly.secretValues('ai-sessions')).toEqual({ ANTHROPIC_API_KEY: 'sk-ant-123', RUNNER_TOKEN: 'tok-456' });
    const listed = await client.gqlPostOrThrow<string, SecretsAnswer>({ query: LIST_SECRETS, variables: { appName: 'ai-sessions' } });
    expect(listed.app.secrets.map((s) => s.name).sort()).toEqual(['ANTHROPIC_API_KEY', 'RUNNER_TOKEN']);
    expect(JSON.stringify(listed)).not.toContain('sk-ant-123');
    expect(listed.app.secrets[0]?.digest).toMatch(/^[0-9a-f]{16}$/);

    const unset = await client.Secret.unsetSecrets({ appId: 'ai-sessions', keys: ['RUNNER_TOKEN'] });
    expect(unset.unsetSecrets.release?.version).toBe(2);
    expect(fly.secretValues('ai-sessions')).toEqual({ ANTHROPIC_API_KEY: 'sk-ant-123' });

    const missing = await rejection(client.Secret.setSecrets({ appId: 'no-such-app', secrets: [{ key: 'A', value: 'b' }] }));
    expect(missing).toContain('Could not find App');
  });

  it('rejects a wrong token on REST and GraphQL', async () => {
    const intruder = createFlyClient('wrong-token', fly.apiUrl);
    expect(await rejection(intruder.Machine.listMachines('ai-sessions'))).toMatch(/^401: /);
    expect(await rejection(intruder.Secret.setSecrets({ appId: 'ai-sessions', secrets: [{ key: 'X', value: 'y' }] }))).toMatch(/^401: /);
    expect(fly.secretValues('ai-sessions')).not.toHaveProperty('X');
  });

  it('answers unknown apps and machines with 404', async () => {
    expect(await rejection(client.Machine.listMachines('nope'))).toMatch(/^404: .*app not found/);
    expect(await rejection(client.Machine.getMachine({ app_name: 'ai-sessions', machine_id: '00000000000000' }))).toMatch(/^404: /);
    expect(await rejection(client.Machine.createMachine({ ...machineRequest('x', 'x'), config: { image: '' } as never }))).toMatch(/^400: /);
  });

  it('surfaces injected faults through fly-admin', async () => {
    const before = fly.state.machines.size;
    fly.server.injectFault({ kind: 'error', status: 503, method: 'POST', path: '/machines', times: 1 });
    expect(await rejection(client.Machine.createMachine(machineRequest('ai-run-5', 'run_5')))).toMatch(/^503: /);
    expect(fly.state.machines.size).toBe(before);

    fly.server.injectFault({ kind: 'rate-limit', retryAfterSeconds: 3, path: '/machines', times: 1 });
    expect(await rejection(client.Machine.listMachines('ai-sessions'))).toMatch(/^429: /);

    fly.server.injectFault({ kind: 'drop-after-apply', method: 'POST', path: '/machines', times: 1 });
    const dropped = client.Machine.createMachine(machineRequest('ai-run-6', 'run_6'));
    await expect(dropped).rejects.toThrow();
    // The create landed even though the client saw a failure: a reconciler finds it by metadata.
    const found = (await client.Machine.listMachines('ai-sessions')).filter((m) => m.config.metadata?.run_id === 'run_6');
    expect(found.map((m) => m.name)).toEqual(['ai-run-6']);
  });
});
