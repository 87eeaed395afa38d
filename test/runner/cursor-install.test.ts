import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalServiceError } from '../../src/errors/index.js';
import type { CursorPin } from '../../src/runner/agents/agents-manifest.js';
import { ChecksumMismatchError, cursorDownloadUrl, installCursorAgent } from '../../src/runner/agents/install-cursor-agent.js';

const VERSION = '2026.06.26-7079533';
const PLATFORM = 'linux-x64';

/**
 * cursor.com is out of reach here, so the install is pointed at a tarball of
 * the same layout (dist-package/cursor-agent) served from loopback.
 */
describe('installing the Cursor CLI from its pinned, checksummed tarball', () => {
  let server: Server;
  let base: string;
  let tarball: string;
  let sha256: string;
  const requests: string[] = [];

  beforeAll(async () => {
    const work = await mkdtemp(join(tmpdir(), 'cursor-tarball-'));
    await mkdir(join(work, 'dist-package'));
    await writeFile(join(work, 'dist-package', 'cursor-agent'), `#!/bin/sh\necho ${VERSION}\n`);
    await chmod(join(work, 'dist-package', 'cursor-agent'), 0o755);
    tarball = join(work, 'agent-cli-package.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', work, 'dist-package']);
    const bytes = await readFile(tarball);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === `/lab/${VERSION}/linux/x64/agent-cli-package.tar.gz`) res.end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const pin = (url: string, hash: string): CursorPin => ({ version: VERSION, url, sha256: { [PLATFORM]: hash } });

  it('fills the version, os and arch into the URL as the official installer does', () => {
    expect(cursorDownloadUrl(pin('https://downloads.cursor.com/lab/{version}/{os}/{arch}/agent-cli-package.tar.gz', sha256), 'linux-arm64')).toBe(
      `https://downloads.cursor.com/lab/${VERSION}/linux/arm64/agent-cli-package.tar.gz`,
    );
  });

  it('installs the tarball whose sha256 is the pinned one and links bin/cursor-agent to it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cursor-prefix-'));
    const link = await installCursorAgent({ pin: pin(`${base}/lab/{version}/{os}/{arch}/agent-cli-package.tar.gz`, sha256), platform: PLATFORM, root });
    expect(link).toBe(join(root, 'bin', 'cursor-agent'));
    expect(await readlink(link)).toBe(join('..', 'cursor-agent', VERSION, 'cursor-agent'));
    expect(execFileSync(link, ['--version'], { encoding: 'utf8' }).trim()).toBe(VERSION);
    expect(await readdir(join(root, 'cursor-agent'))).toEqual([VERSION]);

    // Installed versions are not fetched again.
    const before = requests.length;
    await installCursorAgent({ pin: pin(`${base}/lab/{version}/{os}/{arch}/agent-cli-package.tar.gz`, sha256), platform: PLATFORM, root });
    expect(requests.length).toBe(before);
  });

  it('refuses a tarball with another checksum and leaves nothing behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cursor-prefix-'));
    const wrong = 'a'.repeat(64);
    const error = await installCursorAgent({ pin: pin(`${base}/lab/{version}/{os}/{arch}/agent-cli-package.tar.gz`, wrong), platform: PLATFORM, root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ expected: wrong, actual: sha256 });
    expect(await readdir(join(root, 'cursor-agent'))).toEqual([]);
    await expect(readdir(join(root, 'bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes a file: URL too, and reports a download that fails as a typed error', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cursor-prefix-'));
    const link = await installCursorAgent({ pin: pin(pathToFileURL(tarball).href, sha256), platform: PLATFORM, root });
    expect(execFileSync(link, ['--version'], { encoding: 'utf8' }).trim()).toBe(VERSION);

    const missing = await installCursorAgent({ pin: pin(`${base}/nothing-here.tar.gz`, sha256), platform: PLATFORM, root: await mkdtemp(join(tmpdir(), 'cursor-prefix-')) }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ExternalServiceError);
    expect(missing).toMatchObject({ service: 'cursor-download', status: 404, retryable: false });
  });
});
