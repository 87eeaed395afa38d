import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../errors/index.js';

/**
 * The agents manifest (`runner/agents/`): one npm project whose package.json
 * pins every agent CLI at an exact version, its lockfile, and `cursor.json` for
 * the one CLI that npm does not carry. The runner image, `npm run
 * agents:install` and the tests all read it through this module.
 */

/** `{platform}` in a path becomes this: `linux-x64`, `linux-arm64`, `darwin-arm64`. */
export type PlatformKey = string;

export function hostPlatform(): PlatformKey {
  return `${process.platform}-${process.arch}`;
}

// A range would let two installs of the same lockfile-less manifest differ; the lock stays the source of truth, this keeps it honest.
const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const exactVersions = z.record(z.string(), z.string().regex(EXACT_VERSION, 'must be an exact version (no ^, ~ or ranges)'));

// These paths go into a shell wrapper; plain package-path characters only, no way out of node_modules.
const modulePath = z.string().regex(/^(?!.*\.\.)[@\w.{}/-]+$/, 'must be a path under node_modules (letters, digits, @ . _ - / {platform})');

/** How a command reaches PREFIX/bin: a native executable is linked, a JS entry runs on the pinned Node. */
const agentEntrySchema = z.union([
  z.object({ package: modulePath, native: modulePath }).strict(),
  z.object({ package: modulePath, node: modulePath }).strict(),
]);

const packageJsonSchema = z.object({
  dependencies: exactVersions.default({}),
  optionalDependencies: exactVersions.default({}),
  agents: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), agentEntrySchema),
  agentsNode: z.object({ package: modulePath, native: modulePath }).strict(),
});

const cursorSchema = z.object({
  version: z.string().regex(/^[0-9A-Za-z.-]+$/),
  /** `{version}`, `{os}` and `{arch}` are filled in; Cursor names them as Node does (linux, darwin; x64, arm64). */
  url: z.string().url(),
  sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex sha256')),
  note: z.string().optional(),
});
export type CursorPin = z.infer<typeof cursorSchema>;

export interface AgentPin {
  /** The command on PATH (the runtime table's `binary`). */
  binary: string;
  /** The npm package whose version is the pin, `{platform}` filled in. */
  package: string;
  version: string;
  kind: 'native' | 'node';
  /** Path under node_modules of the executable or JS entry, `{platform}` filled in. */
  entry: string;
}

export interface AgentsManifest {
  dir: string;
  agents: AgentPin[];
  /** The Node that JS agent CLIs run on, whatever Node runs the runner. */
  node: { package: string; version: string; entry: string };
  cursor: CursorPin;
}

function parseOrThrow<T>(schema: z.ZodType<T>, text: string, file: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not JSON`, [(error as Error).message]);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${file} is not a valid agents manifest`, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}

/** Reads and checks the manifest for one platform; every pinned command must have its package pinned for that platform. */
export async function readAgentsManifest(dir: string, platform: PlatformKey = hostPlatform()): Promise<AgentsManifest> {
  const pkgFile = join(dir, 'package.json');
  const cursorFile = join(dir, 'cursor.json');
  const pkg = parseOrThrow(packageJsonSchema, await readFile(pkgFile, 'utf8'), pkgFile);
  const cursor = parseOrThrow(cursorSchema, await readFile(cursorFile, 'utf8'), cursorFile);
  const pins: Record<string, string> = { ...pkg.dependencies, ...pkg.optionalDependencies };
  const fill = (path: string): string => path.replaceAll('{platform}', platform);
  const versionOf = (name: string): string => {
    const version = pins[name];
    if (!version) throw new ConfigError(`${pkgFile} pins no ${name}`, [`${name}: add it to optionalDependencies to support ${platform}`]);
    return version;
  };
  const agents = Object.entries(pkg.agents).map(([binary, entry]): AgentPin => {
    const name = fill(entry.package);
    return 'native' in entry
      ? { binary, package: name, version: versionOf(name), kind: 'native', entry: fill(entry.native) }
      : { binary, package: name, version: versionOf(name), kind: 'node', entry: fill(entry.node) };
  });
  const nodePackage = fill(pkg.agentsNode.package);
  return { dir, agents, node: { package: nodePackage, version: versionOf(nodePackage), entry: fill(pkg.agentsNode.native) }, cursor };
}

/** Every package name pinned in the manifest, for `agents:outdated`. */
export async function readPinnedPackages(dir: string): Promise<Record<string, string>> {
  const pkgFile = join(dir, 'package.json');
  const pkg = parseOrThrow(packageJsonSchema, await readFile(pkgFile, 'utf8'), pkgFile);
  return { ...pkg.dependencies, ...pkg.optionalDependencies };
}

/** Where `npm run agents:install` puts the pinned CLIs on a host, relative to the project root; local runs find them on PATH. */
export const LOCAL_AGENTS_PREFIX = join('node_modules', '.cache', 'ai-implement-agents');
