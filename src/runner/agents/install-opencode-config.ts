import { access, copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../errors/index.js';
import { runNpm } from './run-npm.js';

/**
 * OpenCode adds `@opencode-ai/plugin` to every config directory it reads and
 * installs it from the registry in the background whenever that directory has
 * no node_modules or its package-lock.json lacks the package. A job starts
 * with a fresh HOME, so without this every run would fetch it again, unpinned
 * below the top level. We install it once, from our own lockfile
 * (runner/agents/opencode-config/), into the config directory the image's user
 * will have; OpenCode then finds it and leaves it alone.
 */

const PLUGIN = '@opencode-ai/plugin';

export type OpencodeConfigOutcome = 'installed' | 'up to date' | 'kept';

export interface InstallOpencodeConfigOptions {
  /** OpenCode's global config directory: `$XDG_CONFIG_HOME/opencode`, else `~/.config/opencode`. */
  configDir: string;
  manifestDir: string;
  /** The pinned OpenCode; its plugin package must be the same version. */
  opencodeVersion: string;
  log: (line: string) => void;
}

interface PackageJson {
  dependencies?: Record<string, string>;
}

export async function installOpencodeConfig(options: InstallOpencodeConfigOptions): Promise<OpencodeConfigOutcome> {
  const source = join(options.manifestDir, 'opencode-config');
  const ours = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as PackageJson;
  const pinned = ours.dependencies?.[PLUGIN];
  if (pinned !== options.opencodeVersion) {
    throw new ConfigError(`runner/agents/opencode-config pins ${PLUGIN} ${pinned ?? '(none)'} but OpenCode is ${options.opencodeVersion}`, [
      'runner/agents/opencode-config/package.json: run npm run agents:install, which rewrites it and its lockfile',
    ]);
  }
  const theirs = await readJson<PackageJson>(join(options.configDir, 'package.json'));
  // Someone's own OpenCode config (their plugins) is theirs: never replace it, only say so.
  if (theirs && Object.keys(theirs.dependencies ?? {}).some((name) => name !== PLUGIN)) {
    options.log(`kept ${options.configDir}/package.json: it has dependencies of its own; OpenCode will add ${PLUGIN} there itself`);
    return 'kept';
  }
  const lock = await readFile(join(source, 'package-lock.json'), 'utf8');
  const installedLock = await readFile(join(options.configDir, 'package-lock.json'), 'utf8').catch(() => undefined);
  if (installedLock === lock && (await exists(join(options.configDir, 'node_modules', PLUGIN, 'package.json')))) return 'up to date';

  await mkdir(options.configDir, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) await copyFile(join(source, file), join(options.configDir, file));
  // OpenCode itself installs these with scripts off; so do we.
  await runNpm(['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], options.configDir, options.log);
  options.log(`installed ${PLUGIN} ${pinned} into ${options.configDir}`);
  return 'installed';
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    // Missing or unreadable: there is nothing of anyone's to keep.
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
