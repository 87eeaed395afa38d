import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GitHubAppManifest } from './github-app-manifest.js';

/**
 * The short-lived page on 127.0.0.1 that starts GitHub's manifest flow: it
 * posts the manifest to GitHub's "new App" page, and takes the redirect back
 * with the one-time code. The `state` it sends is checked on the way back, so
 * a code sent by anyone else is refused.
 */
export interface ManifestFlow {
  /** The page to open in a browser. */
  localUrl: string;
  /** Where GitHub sends the person back (the manifest's redirect_url). */
  callbackUrl: string;
  /** The one-time code, once a redirect with the right state arrives. */
  code: Promise<string>;
  close(): Promise<void>;
}

export interface ManifestFlowOptions {
  /** GitHub's page that registers an App from a manifest (`…/settings/apps/new`). */
  newAppUrl: string;
  /** The manifest, missing only its redirect_url (this server's callback). */
  manifest: (callbackUrl: string) => GitHubAppManifest;
  port?: number;
  /** How long to wait for the redirect (default 15 minutes). */
  timeoutMs?: number;
  /** Told of a refused redirect, in a sentence. */
  onRefused?: (sentence: string) => void;
}

export class ManifestFlowError extends Error {
  override readonly name = 'ManifestFlowError';
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body style="font:15px/1.5 system-ui,sans-serif;max-width:640px;margin:40px auto">${body}</body></html>`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startManifestFlow(options: ManifestFlowOptions): Promise<ManifestFlow> {
  const state = randomBytes(16).toString('hex');
  let resolveCode!: (code: string) => void;
  let rejectCode!: (error: Error) => void;
  const code = new Promise<string>((resolve, reject) => {
    resolveCode = resolve;
    rejectCode = reject;
  });
  // Nobody may be awaiting yet when the timeout fires; the caller sees it when it does.
  code.catch(() => undefined);
  let done = false;
  let callbackUrl = '';
  let manifest: GitHubAppManifest | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
      res.end(html);
    };
    if (req.method !== 'GET') return send(405, page('Method not allowed', '<p>Only GET here.</p>'));
    if (url.pathname === '/') {
      const action = `${options.newAppUrl}?state=${encodeURIComponent(state)}`;
      return send(
        200,
        page(
          'Create the AI-Implement GitHub App',
          `<h1>Create the GitHub App</h1><p>This sends the App manifest (permissions and events from <code>app.yml</code>) to GitHub, where you confirm the name and create the App. GitHub then brings you back here.</p>
<form id="manifest" method="post" action="${escape(action)}"><input type="hidden" name="manifest" value="${escape(JSON.stringify(manifest))}"><button type="submit">Create the App on GitHub</button></form>
<script>document.getElementById('manifest').submit()</script>`,
        ),
      );
    }
    if (url.pathname === '/callback') {
      const given = url.searchParams.get('code') ?? '';
      const returned = url.searchParams.get('state') ?? '';
      if (done) return send(410, page('Already done', '<p>The App was already created; you can close this tab.</p>'));
      if (!sameText(returned, state)) {
        const sentence = 'The redirect back from GitHub carried a state that this setup did not send, so its code was not used: open the setup page printed in the terminal and start the App registration from there.';
        options.onRefused?.(sentence);
        return send(400, page('State does not match', `<p>${escape(sentence)}</p>`));
      }
      if (!/^[A-Za-z0-9_-]{1,200}$/.test(given)) {
        const sentence = 'The redirect back from GitHub carried no code (or a malformed one): start the App registration again from the setup page.';
        options.onRefused?.(sentence);
        return send(400, page('No code', `<p>${escape(sentence)}</p>`));
      }
      done = true;
      resolveCode(given);
      return send(200, page('GitHub App created', '<h1>GitHub App created</h1><p>Back to the terminal: setup is saving its credentials.</p>'));
    }
    return send(404, page('Not found', '<p>Not found.</p>'));
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const localUrl = `http://127.0.0.1:${port}/`;
  callbackUrl = `http://127.0.0.1:${port}/callback`;
  manifest = options.manifest(callbackUrl);
  const timer = setTimeout(() => {
    if (!done) rejectCode(new ManifestFlowError(`no App was created within ${Math.round((options.timeoutMs ?? 900_000) / 60_000)} minutes of opening ${localUrl}; run setup again when you are ready`));
  }, options.timeoutMs ?? 900_000);
  timer.unref();
  return {
    localUrl,
    callbackUrl,
    code,
    close: async () => {
      clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
