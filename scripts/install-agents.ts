// Installs the pinned agent CLIs of runner/agents into PREFIX. The one install
// path: the runner image (Dockerfile, stage agents), `npm run agents:install`
// and the tests all run this file. See src/runner/README.md.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/errors/index.js';
import { installAgents } from '../src/runner/agents/install-agents.js';
import { installOpencodeConfig } from '../src/runner/agents/install-opencode-config.js';
import { updateAgentsLock } from '../src/runner/agents/update-agents-lock.js';

const USAGE = `Usage: tsx scripts/install-agents.ts PREFIX [options]

Installs the agent CLIs pinned in runner/agents into PREFIX/node_modules and
links them into PREFIX/bin. Returns at once when PREFIX already holds this
lockfile's install.

Options:
  --skip-cursor            do not download Cursor's CLI (cursor.com unreachable, e.g. in CI)
  --opencode-config <dir>  also install OpenCode's plugin package into this config directory
                           (PREFIX/opencode-config always gets it: runs copy it into their own home)
  --update-lock            first refresh the lockfiles after a pin was edited (development only)
  --manifest <dir>         the manifest directory (default: runner/agents of this repository)
  -h, --help               this text`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'skip-cursor': { type: 'boolean' },
        'opencode-config': { type: 'string' },
        'update-lock': { type: 'boolean' },
        manifest: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const log = (line: string): void => void process.stderr.write(`[install-agents] ${line}\n`);
  const manifestDir = values.manifest ?? fileURLToPath(new URL('../runner/agents/', import.meta.url));
  const started = Date.now();
  try {
    if (values['update-lock']) await updateAgentsLock(manifestDir, log);
    const result = await installAgents({ prefix: positionals[0]!, manifestDir, skipCursor: values['skip-cursor'] ?? false, log });
    const opencode = result.manifest.agents.find((agent) => agent.binary === 'opencode');
    if (opencode) {
      // PREFIX/opencode-config is the template the OpenCode runtime copies into each run's own home.
      const configDirs = [join(result.prefix, 'opencode-config'), ...(values['opencode-config'] ? [values['opencode-config']] : [])];
      for (const configDir of configDirs) await installOpencodeConfig({ configDir, manifestDir, opencodeVersion: opencode.version, log });
    }
    log(`${result.installed ? 'installed' : 'already installed'} in ${((Date.now() - started) / 1000).toFixed(1)} s; put ${result.prefix}/bin first on PATH`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      log(error.message);
      for (const problem of error.problems) log(`  ${problem}`);
      return 2;
    }
    log(`failed: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
