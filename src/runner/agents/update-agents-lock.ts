import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAgentsManifest } from './agents-manifest.js';
import { runNpm } from './run-npm.js';

/**
 * After a pin is edited in runner/agents/package.json: brings both lockfiles
 * in line (npm resolves nothing new when they already are) and sets the
 * OpenCode plugin in opencode-config/ to the OpenCode version, so updating a
 * pin stays one edit. Only `npm run agents:install` calls this; the image and
 * the tests install from the lockfiles as committed, and fail if they are stale.
 */
export async function updateAgentsLock(manifestDir: string, log: (line: string) => void): Promise<void> {
  const lockOnly = ['install', '--package-lock-only', '--ignore-scripts', '--engine-strict=false', '--no-audit', '--no-fund', '--loglevel=error'];
  await runNpm(lockOnly, manifestDir, log);
  const manifest = await readAgentsManifest(manifestDir);
  const opencode = manifest.agents.find((agent) => agent.binary === 'opencode');
  if (!opencode) return;
  const file = join(manifestDir, 'opencode-config', 'package.json');
  const pkg = JSON.parse(await readFile(file, 'utf8')) as { dependencies?: Record<string, string> };
  if (pkg.dependencies?.['@opencode-ai/plugin'] !== opencode.version) {
    pkg.dependencies = { ...pkg.dependencies, '@opencode-ai/plugin': opencode.version };
    await writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`);
    log(`opencode-config: @opencode-ai/plugin set to ${opencode.version}`);
  }
  await runNpm(lockOnly, join(manifestDir, 'opencode-config'), log);
}
