import { afterEach, describe, expect, it } from 'vitest';
import type { ResultBody } from '../../src/domain/runner-protocol.js';
import { OrchestratorClient, OrchestratorHttpError } from '../../src/runner/orchestrator-client.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';
import { makeJobSpec } from './support/job-spec.js';
import { OrchestratorServer } from './support/orchestrator-server.js';

const result: ResultBody = { runId: 'run_01', attempt: 1, outcome: 'succeeded', summary: 'done' };
const fast = { attempts: 5, baseDelayMs: 1, maxDelayMs: 5 };

describe('OrchestratorClient result posting', () => {
  let server: OrchestratorServer | undefined;
  afterEach(async () => server?.stop());

  async function clientFor(resultFailures: number[]) {
    server = new OrchestratorServer({ job: makeJobSpec(), progressToken: 'p-token', resultToken: 'r-token', resultFailures });
    await server.start();
    const lines: string[] = [];
    const client = new OrchestratorClient({ baseUrl: server.url, progressToken: 'p-token', resultToken: 'r-token', log: createRunnerLog((l) => lines.push(l)), retry: fast });
    return { client, lines, server };
  }

  it('retries on 503 and then succeeds', async () => {
    const { client, lines, server } = await clientFor([503, 503]);
    await client.postResult(result);
    expect(server.resultAttempts).toBe(3);
    expect(server.results).toEqual([result]);
    expect(lines.filter((l) => l.includes('retrying'))).toHaveLength(2);
  });

  it('does not retry on 400', async () => {
    const { client, server } = await clientFor([400]);
    const error = await client.postResult(result).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrchestratorHttpError);
    expect((error as OrchestratorHttpError).status).toBe(400);
    expect(server.resultAttempts).toBe(1);
    expect(server.results).toEqual([]);
  });

  it('gives up after the configured attempts on a persistent 5xx', async () => {
    const { client, server } = await clientFor([502, 502, 502, 502, 502, 502]);
    await expect(client.postResult(result)).rejects.toMatchObject({ status: 502 });
    expect(server.resultAttempts).toBe(5);
  });

  it('retries network errors', async () => {
    const lines: string[] = [];
    // Port 9 (discard) on loopback refuses connections.
    const client = new OrchestratorClient({ baseUrl: 'http://127.0.0.1:9', progressToken: 'p', resultToken: 'r', log: createRunnerLog((l) => lines.push(l)), retry: { ...fast, attempts: 3 } });
    await expect(client.postResult(result)).rejects.toMatchObject({ status: undefined });
    expect(lines.filter((l) => l.includes('retrying'))).toHaveLength(2);
  });

  it('a 409 on a retry after an ambiguous failure means the result got through', async () => {
    server = new OrchestratorServer({ job: makeJobSpec(), progressToken: 'p-token', resultToken: 'r-token', lostResultResponses: 1 });
    await server.start();
    const lines: string[] = [];
    const client = new OrchestratorClient({ baseUrl: server.url, progressToken: 'p-token', resultToken: 'r-token', log: createRunnerLog((l) => lines.push(l)), retry: fast });
    await client.postResult(result);
    expect(server.resultAttempts).toBe(2);
    expect(server.results).toEqual([result]);
    expect(lines.some((l) => l.includes('already recorded'))).toBe(true);
  });

  it('a 409 on the first attempt is a real conflict', async () => {
    const { client, server } = await clientFor([]);
    await client.postResult(result);
    const second = new OrchestratorClient({ baseUrl: server.url, progressToken: 'p-token', resultToken: 'r-token', log: createRunnerLog(() => {}), retry: fast });
    await expect(second.postResult(result)).rejects.toMatchObject({ status: 409 });
    expect(server.resultAttempts).toBe(2);
  });

  it('rejects a job spec that does not match the protocol', async () => {
    const job = makeJobSpec();
    server = new OrchestratorServer({ job: { ...job, agent: { ...job.agent, maxTurns: -1 } }, progressToken: 'p-token', resultToken: 'r-token' });
    await server.start();
    const client = new OrchestratorClient({ baseUrl: server.url, progressToken: 'p-token', resultToken: 'r-token', log: createRunnerLog(() => {}), retry: fast });
    await expect(client.getJob()).rejects.toThrow(/agent\.maxTurns/);
  });
});
