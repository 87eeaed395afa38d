import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExternalServiceError } from '../../src/errors/index.js';
import { FLY_METADATA, createFlyBackend } from '../../src/runners/fly/create-fly-backend.js';
import type { RunnerBackend } from '../../src/runners/runner-backend.js';
import { FlyEmulator } from '../../src/sandbox/fly/index.js';
import { auditFly, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';
import { dispatchRequest, testMapping } from './support/runner-fixtures.js';

const APP = 'ai-sessions';
const IMAGE = 'registry.fly.io/ai-runner:1.0.0';

describe('Fly backend against the Fly emulator', () => {
  const fly = new FlyEmulator({ token: 'fly-token', apps: [APP], defaultRegion: 'iad' });
  const audit = auditFly(fly.server);
  let backend: RunnerBackend;
  const mapping = testMapping({ teamKey: 'OPS', executionMode: 'fly-machines', machine: { cpus: 4, memoryMb: 8192 } });

  beforeAll(async () => {
    await fly.start();
    backend = createFlyBackend({
      client: { token: 'fly-token', apiUrl: fly.apiUrl, graphqlUrl: fly.graphqlUrl },
      app: () => APP,
      region: () => 'ams',
      image: IMAGE,
    });
  });

  afterEach(() => fly.server.clearFaults());
  afterAll(async () => {
    await fly.stop();
    expectTrueToVendor(audit, 'Fly Machines');
  });

  it('creates one machine named after the run with its size, metadata, env and lifecycle', async () => {
    const request = dispatchRequest('run_fly_1', mapping, {
      attempt: 2,
      issueIdentifier: 'OPS-7',
      secrets: { ANTHROPIC_API_KEY: 'sk-ops' },
    });
    const upstream = await backend.dispatch(request);

    const machine = fly.state.machines.get(upstream.upstreamId);
    expect(machine?.name).toBe('run-run_fly_1');
    expect(machine?.region).toBe('ams');
    expect(machine?.config.image).toBe(IMAGE);
    expect(machine?.config.guest).toEqual({ cpu_kind: 'shared', cpus: 4, memory_mb: 8192 });
    expect(machine?.config.auto_destroy).toBe(true);
    expect(machine?.config.restart.policy).toBe('no');
    expect(machine?.config.metadata).toEqual({
      ai_implement_run_id: 'run_fly_1',
      ai_implement_attempt: '2',
      ai_implement_issue: 'OPS-7',
      ai_implement_mapping: 'OPS',
      ai_implement_tenant: 'acme/app',
    });
    // The attempt's tokens plus this mapping's secrets, and nothing else.
    expect(machine?.config.env).toEqual({ ...request.env, ANTHROPIC_API_KEY: 'sk-ops' });
    expect(upstream).toMatchObject({ runId: 'run_fly_1', sessionImage: IMAGE, mappingKey: 'OPS', issueIdentifier: 'OPS-7' });
  });

  it('uses the mapping image and the default size when the mapping names only an image', async () => {
    const custom = testMapping({ machine: { cpus: 1, memoryMb: 1024, image: 'registry.fly.io/custom:2' } });
    const upstream = await backend.dispatch(dispatchRequest('run_fly_img', custom));
    expect(fly.state.machines.get(upstream.upstreamId)?.config.image).toBe('registry.fly.io/custom:2');
    const plain = await backend.dispatch(dispatchRequest('run_fly_default', testMapping()));
    expect(fly.state.machines.get(plain.upstreamId)?.config.guest).toEqual({ cpu_kind: 'shared', cpus: 2, memory_mb: 4096 });
  });

  it('runs the project’s runnerImage before its older machine.image and the global image, and refuses one the allow-list does not cover before creating anything', async () => {
    const guarded = createFlyBackend({
      client: { token: 'fly-token', apiUrl: fly.apiUrl, graphqlUrl: fly.graphqlUrl },
      app: () => APP,
      image: IMAGE,
      imageAllowlist: ['registry.fly.io/'],
    });
    const both = testMapping({ runnerImage: 'registry.fly.io/project-runner:3', machine: { cpus: 1, memoryMb: 1024, image: 'registry.fly.io/custom:2' } });
    const upstream = await guarded.dispatch(dispatchRequest('run_fly_project_img', both));
    expect(fly.state.machines.get(upstream.upstreamId)?.config.image).toBe('registry.fly.io/project-runner:3');

    const before = fly.state.machines.size;
    const outside = testMapping({ runnerImage: 'docker.io/evil/runner:1' });
    const refusal = await guarded.dispatch(dispatchRequest('run_fly_refused', outside)).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ExternalServiceError);
    expect(refusal).toMatchObject({ retryable: false, status: 422 });
    expect((refusal as Error).message).toContain('docker.io/evil/runner:1 is not allowed by RUNNER_IMAGE_ALLOWLIST (registry.fly.io/)');
    expect(fly.state.machines.size).toBe(before);
  });

  it('finds a machine by run id, including one that already exited and was destroyed', async () => {
    const upstream = await backend.dispatch(dispatchRequest('run_fly_find', mapping));
    await backend.dispatch(dispatchRequest('run_fly_find2', mapping));
    expect((await backend.find('run_fly_find', mapping))?.upstreamId).toBe(upstream.upstreamId);
    expect(await backend.find('run_fly_none', mapping)).toBeUndefined();

    fly.state.exitMachine(APP, upstream.upstreamId, 1);
    const afterExit = await backend.find('run_fly_find', mapping);
    expect(afterExit).toMatchObject({ upstreamId: upstream.upstreamId, state: 'failed' });
  });

  it('cancels a started machine (stop, then kill) and cancelling again is fine', async () => {
    const upstream = await backend.dispatch(dispatchRequest('run_fly_cancel', mapping));
    await fly.state.waitUntil(() => fly.state.machines.get(upstream.upstreamId)?.state === 'started', 2_000);
    await backend.cancel(upstream.upstreamId, mapping);
    expect(fly.state.machines.get(upstream.upstreamId)?.state).toBe('destroyed');
    await expect(backend.cancel(upstream.upstreamId, mapping)).resolves.toBeUndefined();
  });

  it('lists only live machines that carry run metadata', async () => {
    const live = await backend.dispatch(dispatchRequest('run_fly_live', mapping));
    const gone = await backend.dispatch(dispatchRequest('run_fly_gone', mapping));
    fly.state.exitMachine(APP, gone.upstreamId, 0);
    fly.state.addMachine({ app: APP, name: 'unrelated', region: 'iad', config: { image: 'x', guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 }, env: {}, metadata: {}, auto_destroy: false, restart: { policy: 'no' } } });
    const listed = await backend.listLive();
    const ids = listed.map((r) => r.runId);
    expect(ids).toContain('run_fly_live');
    expect(ids).not.toContain('run_fly_gone');
    expect(ids).not.toContain('');
    expect(listed.find((r) => r.runId === 'run_fly_live')?.upstreamId).toBe(live.upstreamId);
    expect(listed.every((r) => fly.state.machines.get(r.upstreamId)?.config.metadata[FLY_METADATA.runId] === r.runId)).toBe(true);
  });

  it('converts fly-admin refusals and cut connections into ExternalServiceErrors', async () => {
    fly.server.injectFault({ kind: 'error', status: 503, method: 'POST', path: `/v1/apps/${APP}/machines`, times: 1 });
    const refused = await backend.dispatch(dispatchRequest('run_fly_503', mapping)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExternalServiceError);
    expect(refused).toMatchObject({ service: 'fly', status: 503, retryable: true });

    fly.server.injectFault({ kind: 'drop-after-apply', method: 'POST', path: `/v1/apps/${APP}/machines`, times: 1 });
    const dropped = await backend.dispatch(dispatchRequest('run_fly_drop', mapping)).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(ExternalServiceError);
    expect((dropped as ExternalServiceError).status).toBeUndefined();
    expect((await backend.find('run_fly_drop', mapping))?.runId).toBe('run_fly_drop');

    const duplicate = await backend.dispatch(dispatchRequest('run_fly_drop', mapping)).catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ status: 409, retryable: false });
  });
});
