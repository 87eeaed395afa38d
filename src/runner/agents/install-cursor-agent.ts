import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, mkdir, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError, ExternalServiceError } from '../../errors/index.js';
import type { CursorPin, PlatformKey } from './agents-manifest.js';

/**
 * Cursor's CLI is not on npm: cursor.com/install is a shell script that
 * downloads a tarball of whatever version is current. We fetch the same
 * tarball at the version cursor.json pins and refuse it unless its sha256 is
 * the pinned one, so an image build never runs code nobody pinned.
 */

export class ChecksumMismatchError extends Error {
  override readonly name = 'ChecksumMismatchError';
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${url}: sha256 ${actual} is not the pinned ${expected}; nothing was installed`);
  }
}

export interface InstallCursorAgentOptions {
  pin: CursorPin;
  platform: PlatformKey;
  /** The install prefix: receives `cursor-agent/<version>/` and `bin/cursor-agent`. */
  root: string;
  fetch?: typeof globalThis.fetch;
}

export function cursorDownloadUrl(pin: CursorPin, platform: PlatformKey): string {
  const [os = '', arch = ''] = platform.split('-');
  return pin.url.replaceAll('{version}', pin.version).replaceAll('{os}', os).replaceAll('{arch}', arch);
}

/** Installs the pinned Cursor CLI under `root`, links `root/bin/cursor-agent` to it and returns the link. */
export async function installCursorAgent(options: InstallCursorAgentOptions): Promise<string> {
  const { pin, platform, root } = options;
  const expected = pin.sha256[platform];
  if (!expected) throw new ConfigError(`cursor.json pins no Cursor build for ${platform}`, [`sha256.${platform}: add the checksum of the ${platform} tarball`]);
  const versionDir = join(root, 'cursor-agent', pin.version);
  if (!(await isExecutable(join(versionDir, 'cursor-agent')))) await downloadAndUnpack(cursorDownloadUrl(pin, platform), expected, versionDir, options.fetch ?? globalThis.fetch);
  // Like the official installer, the command is a link into the versioned folder; ours is relative so PREFIX can move.
  const link = join(root, 'bin', 'cursor-agent');
  await mkdir(dirname(link), { recursive: true });
  const temp = `${link}.${randomBytes(4).toString('hex')}`;
  await symlink(join('..', 'cursor-agent', pin.version, 'cursor-agent'), temp);
  await rename(temp, link);
  return link;
}

async function downloadAndUnpack(url: string, expected: string, versionDir: string, fetchImpl: typeof globalThis.fetch): Promise<void> {
  // Scratch space beside the final folder, so the last step is a rename on one file system.
  const scratch = join(dirname(versionDir), `.partial-${randomBytes(6).toString('hex')}`);
  await mkdir(scratch, { recursive: true });
  try {
    const tarball = join(scratch, 'agent-cli-package.tar.gz');
    const actual = await download(url, tarball, fetchImpl);
    if (actual !== expected) throw new ChecksumMismatchError(url, expected, actual);
    const tree = join(scratch, 'tree');
    await mkdir(tree);
    // The tarball holds one top-level folder (dist-package/); the official installer strips it too.
    await runTar(['-xzf', tarball, '--strip-components=1', '-C', tree]);
    if (!(await isExecutable(join(tree, 'cursor-agent')))) throw new ConfigError(`${url} has no dist-package/cursor-agent`, ['cursor.json: the tarball layout changed; check what cursor.com/install links now']);
    await rm(versionDir, { recursive: true, force: true });
    await rename(tree, versionDir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Streams the URL (http(s) or file:) to `file` and returns its sha256 in hex. */
async function download(url: string, file: string, fetchImpl: typeof globalThis.fetch): Promise<string> {
  let body: Readable;
  if (url.startsWith('file:')) {
    body = createReadStream(fileURLToPath(url));
  } else {
    let response: Response;
    try {
      response = await fetchImpl(url, { redirect: 'follow' });
    } catch (cause) {
      throw new ExternalServiceError(`could not download ${url}`, { service: 'cursor-download', retryable: true, cause });
    }
    if (!response.ok || !response.body) {
      throw new ExternalServiceError(`${url} answered ${response.status}`, { service: 'cursor-download', retryable: response.status >= 500, status: response.status });
    }
    body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(body, tap, createWriteStream(file));
  return hash.digest('hex');
}

function runTar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    // Missing or not executable: both mean "not installed".
    return false;
  }
}
