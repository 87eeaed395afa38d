import { describe, expect, it } from 'vitest';
import { createAdminCommands } from '../../src/admin/admin-commands.js';
import { ValidationError } from '../../src/errors/index.js';
import { parseMapping } from '../../src/domain/mapping-schema.js';
import { createMemoryStore } from '../../src/store/memory/create-memory-store.js';

const env = { runnerModeOverride: undefined, flySessionsApp: undefined, flySessionsRegion: undefined };
const base = { teamKey: 'OPS', owner: 'acme', repo: 'app', defaultBranch: 'main', executionMode: 'fly-machines' };

describe('a project’s runner image', () => {
  it('is validated as a full image reference by the mapping schema', () => {
    const ok = parseMapping({ ...base, runnerImage: 'ghcr.io/acme/runner@sha256:' + 'a'.repeat(64) }, '2026-01-01T00:00:00Z');
    expect(ok.ok && ok.mapping.runnerImage).toBe('ghcr.io/acme/runner@sha256:' + 'a'.repeat(64));
    const bad = parseMapping({ ...base, runnerImage: 'runner:latest' }, '2026-01-01T00:00:00Z');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems).toEqual([{ field: 'runnerImage', message: expect.stringContaining('must be a full image reference that names its registry') }]);
  });

  it('must be on RUNNER_IMAGE_ALLOWLIST: refused with the field and the fix, and nothing is stored', async () => {
    const store = createMemoryStore();
    await store.open();
    const commands = createAdminCommands({ store, clock: Date.now, env, runnerImageAllowlist: ['ghcr.io/ai-implement/runner', 'registry.fly.io/'] });
    for (const [input, field] of [
      [{ ...base, runnerImage: 'ghcr.io/someone/runner:1' }, 'runnerImage'],
      [{ ...base, machine: { cpus: 1, memoryMb: 1024, image: 'docker.io/evil/runner:1' } }, 'machine.image'],
    ] as const) {
      const error = await commands.saveMapping(input, 'session-1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain(`${field}: `);
      expect((error as ValidationError).message).toContain('is not allowed by RUNNER_IMAGE_ALLOWLIST (ghcr.io/ai-implement/runner registry.fly.io/)');
    }
    expect(await store.mappings.list()).toEqual([]);
    const { mapping } = await commands.saveMapping({ ...base, runnerImage: 'registry.fly.io/acme-runner:7' }, 'session-1');
    expect(mapping.runnerImage).toBe('registry.fly.io/acme-runner:7');
    await store.close();
  });
});
