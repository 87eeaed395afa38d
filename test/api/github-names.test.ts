import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { GapFillTrigger } from '../../src/github/create-github-integration.js';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { HttpMetrics } from '../../src/http/http-metrics.js';
import { startHttpServer, type StartedServer } from '../../src/http/start-http-server.js';
import { createTriggerRoutes } from '../../src/http/trigger-routes.js';
import { createTestLogger } from '../support/test-logger.js';
import { ACCESS_CODE, startApiApp, type ApiApp } from './support/api-app.js';

/** Owners and repositories GitHub would never give out: `.`/`..` become path segments in every URL we build. */
const BAD_OWNERS = ['.', '..', '-acme', 'acme-', 'ac--me', 'ac_me', 'ac.me', 'a'.repeat(40)];
const BAD_REPOS = ['.', '..', 'a'.repeat(101), 'we b', 'web/x'];

describe('GitHub owner and repository names follow GitHub’s rules', () => {
  let app: ApiApp | undefined;
  let server: StartedServer | undefined;
  afterEach(async () => {
    await app?.stop();
    await server?.close();
    app = undefined;
    server = undefined;
  });

  it('POST /api/mappings refuses each bad owner or repository with 400 naming the field, and stores nothing', async () => {
    app = await startApiApp({ accessCode: ACCESS_CODE });
    const token = await app.api.login(ACCESS_CODE);
    const create = (owner: string, repo: string, teamKey = 'ENG') => app!.api.call('POST', '/api/mappings', { token, body: { teamKey, owner, repo, defaultBranch: 'main' } });
    for (const owner of BAD_OWNERS) {
      const answer = await create(owner, 'web');
      expect(answer.status, owner).toBe(400);
      expect(JSON.stringify(answer.body), owner).toContain('owner');
    }
    for (const repo of BAD_REPOS) {
      const answer = await create('acme', repo);
      expect(answer.status, repo).toBe(400);
      expect(JSON.stringify(answer.body), repo).toContain('repo');
    }
    expect(await app.store.mappings.list()).toEqual([]);
    // Names at the edges of the rules are fine.
    expect((await create('a-b-c', '.github')).status).toBe(201);
    expect((await create('A'.repeat(39), '..x', 'OPS')).status).toBe(201);
    expect((await app.store.mappings.list()).map((m) => `${m.owner}/${m.repo}`).sort()).toEqual([`${'A'.repeat(39)}/..x`, 'a-b-c/.github']);
  });

  it('POST /trigger/gap-fill refuses "." and ".." with 400 naming the field, and looks nothing up', async () => {
    const looked: string[] = [];
    const gapFill: GapFillTrigger = {
      mappingsFor: async (owner, repo) => (looked.push(`${owner}/${repo}`), []),
      findPull: async () => undefined,
      resolve: async () => ({ ok: false, problem: 'no-mapping', reason: 'none' }),
      start: async () => {
        throw new Error('must not start');
      },
    };
    const router: Router = createTriggerRoutes({ secret: 'gap-fill-trigger-secret-0123456789', gapFill });
    const { log } = createTestLogger();
    server = await startHttpServer(createHttpApp({ log, metrics: new HttpMetrics({ defaultMetrics: false }), production: true, version: 't', isReady: () => true, routers: [router] }), { port: 0, host: '127.0.0.1' });
    const trigger = async (body: unknown) => {
      const res = await fetch(`${server!.url}/trigger/gap-fill`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer gap-fill-trigger-secret-0123456789' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { field?: string } };
    };
    for (const owner of BAD_OWNERS) expect(await trigger({ owner, repo: 'web', prNumber: 1 }), owner).toMatchObject({ status: 400, body: { field: 'owner' } });
    for (const repo of BAD_REPOS) expect(await trigger({ owner: 'acme', repo, prNumber: 1 }), repo).toMatchObject({ status: 400, body: { field: 'repo' } });
    expect(looked).toEqual([]);
    expect((await trigger({ owner: 'acme', repo: '.github', prNumber: 1 })).status).toBe(404);
    expect(looked).toEqual(['acme/.github']);
  });
});
