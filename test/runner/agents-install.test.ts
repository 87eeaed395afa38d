import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAgentsManifest, type AgentsManifest } from '../../src/runner/agents/agents-manifest.js';
import { installOpencodeConfig } from '../../src/runner/agents/install-opencode-config.js';
import type { DoctorReport } from '../../src/runner/doctor.js';
import { RUNTIME_TABLE } from '../../src/runner/runtimes/runtime-table.js';
import { agentsPrefix, ensureAgentClis, runInstallScript } from '../support/agent-clis.js';
import { cleanEnv, REPO_ROOT, runCli } from './support/run-cli.js';

/**
 * Installs the real pinned CLIs from the registry, with the same script the
 * runner image uses, into a cache folder that survives between runs (the
 * script returns at once when its stamp matches the lockfile), then asks the
 * runner's doctor about them.
 */
const PREFIX = agentsPrefix();
const MANIFEST_DIR = join(REPO_ROOT, 'runner', 'agents');
const CREDENTIAL_NAMES = [...new Set(RUNTIME_TABLE.flatMap((r) => r.providers.flatMap((p) => p.credentials.flat())))];
const FAKE_KEY = 'sk-ant-fake-doctor-test-3f9c1a7b5e';
const FAKE_OPENAI = 'sk-openai-fake-doctor-test-8d2e4c';


/** The test machine's own credentials stay out; only the fakes below are set. */
function doctorEnv(): NodeJS.ProcessEnv {
  const env = cleanEnv({ PATH: `${join(PREFIX, 'bin')}:${process.env.PATH ?? ''}` });
  for (const name of CREDENTIAL_NAMES) delete env[name];
  return { ...env, ANTHROPIC_API_KEY: FAKE_KEY, OPENAI_API_KEY: FAKE_OPENAI, AWS_ACCESS_KEY_ID: 'AKIAFAKEDOCTORTEST' };
}

describe.skipIf(process.platform !== 'linux')('the pinned agent CLIs, installed by scripts/install-agents.ts', () => {
  let manifest: AgentsManifest;
  // The table and the JSON of one doctor run each, started together and shared by the tests below.
  type CliRun = Awaited<ReturnType<typeof runCli>>;
  let doctorRuns: Promise<[CliRun, CliRun, CliRun]> | undefined;
  const doctor = () => (doctorRuns ??= Promise.all([runCli(doctorEnv(), ['doctor']), runCli(doctorEnv(), ['doctor', '--json']), runCli(doctorEnv(), ['doctor', '--require-pinned'])]));

  beforeAll(async () => {
    manifest = await readAgentsManifest(MANIFEST_DIR);
    // The first install goes through the same lock as every other test that needs the CLIs (vitest runs files in parallel).
    // cursor.com is unreachable from CI; its install path has its own test (cursor-install.test.ts).
    await ensureAgentClis();
  }, 240_000);

  it('answers at once the second time: the stamp matches the lockfile', async () => {
    const again = await runInstallScript([PREFIX, '--skip-cursor']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already installed');
    expect(again.ms).toBeLessThan(10_000);
  });

  it('doctor finds every pinned npm CLI at its pinned version', async () => {
    const [, { code, stdout, stderr }] = await doctor();
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as DoctorReport;
    for (const agent of manifest.agents) {
      const check = report.runtimes.find((r) => r.binary === agent.binary);
      expect(check, agent.binary).toMatchObject({ status: 'ok', pinned: agent.version });
      expect(check?.version, agent.binary).toContain(agent.version);
    }
    expect(report.runtimes.find((r) => r.binary === 'cursor-agent')).toMatchObject({ pinned: manifest.cursor.version });
  }, 60_000);

  it('doctor --require-pinned fails while a pinned CLI is missing (here Cursor, skipped)', async () => {
    const [, , strict] = await doctor();
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('Not at their pinned versions: cursor-agent');
  }, 60_000);

  it('doctor names the credential variables it sees and never prints a value', async () => {
    const [text, json, strict] = await doctor();
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/claude-code\s+anthropic\s+ANTHROPIC_API_KEY\s+yes \(ANTHROPIC_API_KEY\)/);
    expect(text.stdout).toMatch(/codex\s+openai\s+OPENAI_API_KEY\s+yes \(OPENAI_API_KEY\)/);
    expect(text.stdout).toMatch(/claude-code\s+bedrock\s+AWS_ACCESS_KEY_ID\s+no: needs AWS_ACCESS_KEY_ID \+ AWS_SECRET_ACCESS_KEY/);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr, strict.stdout, strict.stderr]) {
      expect(out).not.toContain(FAKE_KEY);
      expect(out).not.toContain(FAKE_OPENAI);
      expect(out).not.toContain('AKIAFAKEDOCTORTEST');
    }
  }, 60_000);

  it('puts the OpenCode plugin package into a config directory, so OpenCode does not fetch it on every fresh HOME', async () => {
    const opencode = manifest.agents.find((a) => a.binary === 'opencode')!;
    const configDir = join(await mkdtemp(join(tmpdir(), 'opencode-config-')), 'opencode');
    const log = (): void => undefined;
    const options = { configDir, manifestDir: MANIFEST_DIR, opencodeVersion: opencode.version, log };
    expect(await installOpencodeConfig(options)).toBe('installed');
    const plugin = JSON.parse(await readFile(join(configDir, 'node_modules', '@opencode-ai', 'plugin', 'package.json'), 'utf8')) as { version: string };
    expect(plugin.version).toBe(opencode.version);
    expect(await installOpencodeConfig(options)).toBe('up to date');

    // Someone's own config with plugins of their own is left as it is.
    const own = await mkdtemp(join(tmpdir(), 'opencode-own-'));
    await writeFile(join(own, 'package.json'), JSON.stringify({ dependencies: { '@opencode-ai/plugin': opencode.version, 'my-plugin': '1.0.0' } }));
    expect(await installOpencodeConfig({ ...options, configDir: own })).toBe('kept');
    expect(JSON.parse(await readFile(join(own, 'package.json'), 'utf8'))).toMatchObject({ dependencies: { 'my-plugin': '1.0.0' } });
  }, 120_000);
});
