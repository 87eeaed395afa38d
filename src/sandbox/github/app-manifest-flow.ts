import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { formField, html, htmlPage } from '../html-page.js';
import { SANDBOX_USER } from './github-pages.js';
import { notFound, ok } from './github-http.js';
import type { RouteTable } from './github-route-table.js';
import { accountShape, type UrlBase } from './github-shapes.js';
import type { GitHubState } from './github-state.js';
import type { AccessLevel, GitHubAccount, PermissionSet, RegisteredApp } from './github-types.js';

/**
 * GitHub's "Registering a GitHub App from a manifest" flow, as github.com
 * runs it:
 *
 * 1. A page posts a form with a `manifest` field (JSON) to
 *    `/settings/apps/new?state=…` (a personal App) or
 *    `/organizations/<org>/settings/apps/new?state=…` (an organization's).
 * 2. GitHub shows the person what will be created, with the name editable;
 *    they press "Create GitHub App".
 * 3. GitHub registers the App and redirects to the manifest's `redirect_url`
 *    with `?code=<one-time code>&state=<the state posted>`.
 * 4. The app exchanges the code within an hour with
 *    `POST /app-manifests/{code}/conversions` (no authentication) for its id,
 *    slug, private key (`pem`), webhook secret and OAuth client credentials.
 *
 * The App then exists on the emulator: JWTs signed with its `pem` and
 * `iss = id` are accepted on the `/app` routes.
 */

const PAGE_PATH = /^\/(?:organizations\/([^/]+)\/)?settings\/apps\/new\/?$/;
const CODE_TTL_MS = 60 * 60 * 1000;
const LEVELS = new Set<AccessLevel>(['read', 'write', 'admin']);

export function isAppManifestPagePath(path: string): boolean {
  return PAGE_PATH.test(path);
}

interface Manifest {
  name: string;
  url: string;
  description: string;
  hookUrl: string | undefined;
  hookActive: boolean;
  redirectUrl: string | undefined;
  permissions: PermissionSet;
  events: string[];
}

/** The manifest as GitHub reads it, or a sentence saying what is wrong (GitHub shows such errors on the page). */
function readManifest(text: string | undefined): Manifest | string {
  if (!text) return 'The manifest parameter is missing: post the App manifest (JSON) in a form field named "manifest".';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'The manifest is not valid JSON.';
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'The manifest must be a JSON object.';
  const m = raw as Record<string, unknown>;
  if (typeof m.url !== 'string' || !isHttpUrl(m.url)) return 'The manifest needs "url", the homepage of the App (an http(s) URL).';
  const hook = m.hook_attributes && typeof m.hook_attributes === 'object' ? (m.hook_attributes as Record<string, unknown>) : undefined;
  const hookActive = hook?.active !== false && hook !== undefined;
  if (hookActive && (typeof hook?.url !== 'string' || !isHttpUrl(hook.url))) return 'The manifest\'s "hook_attributes.url" must be an http(s) URL when the webhook is active.';
  if (m.redirect_url !== undefined && (typeof m.redirect_url !== 'string' || !isHttpUrl(m.redirect_url))) return 'The manifest\'s "redirect_url" must be an http(s) URL.';
  const permissions: PermissionSet = {};
  const given = m.default_permissions && typeof m.default_permissions === 'object' ? (m.default_permissions as Record<string, unknown>) : {};
  for (const [name, level] of Object.entries(given)) {
    if (!LEVELS.has(level as AccessLevel)) return `The manifest asks for "${name}: ${String(level)}"; a permission is read, write or admin.`;
    permissions[name] = level as AccessLevel;
  }
  permissions.metadata ??= 'read';
  const events = Array.isArray(m.default_events) ? m.default_events.filter((e): e is string => typeof e === 'string') : [];
  return {
    name: typeof m.name === 'string' && m.name.trim() ? m.name.trim() : '',
    url: m.url,
    description: typeof m.description === 'string' ? m.description : '',
    hookUrl: hookActive ? (hook?.url as string) : undefined,
    hookActive,
    redirectUrl: typeof m.redirect_url === 'string' ? m.redirect_url : undefined,
    permissions,
    events,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * The "Create GitHub App" pages. A post with `manifest` alone shows the
 * confirmation form; the form's own post (with `confirm`) registers the App
 * and redirects to `redirect_url` with the one-time code and the state.
 */
export function handleAppManifestPage(req: EmulatorRequest, state: GitHubState, webUrl: string): EmulatorResponse {
  const org = PAGE_PATH.exec(req.path)?.[1];
  const owner = org ? state.account(decodeURIComponent(org), 'Organization') : state.account(SANDBOX_USER, 'User');
  const stateParam = formField(req.body, 'state') ?? req.query.get('state') ?? '';
  if (req.method === 'GET') {
    return htmlPage('GitHub', 'Register new GitHub App', html`<div class="card"><h1>Register new GitHub App</h1>
<p>for <strong>${owner.login}</strong>. This emulator registers Apps from a manifest: post a form with a <code>manifest</code> field here, as the GitHub docs describe (“Registering a GitHub App from a manifest”).</p></div>`);
  }
  if (req.method !== 'POST') return { status: 405, body: 'Method Not Allowed' };
  const manifest = readManifest(formField(req.body, 'manifest'));
  if (typeof manifest === 'string') return htmlPage('GitHub', 'Invalid GitHub App manifest', html`<div class="card"><h1>Invalid GitHub App manifest</h1><p data-testid="manifest-error">${manifest}</p></div>`, 422);
  const name = (formField(req.body, 'name') ?? manifest.name).trim();
  if (formField(req.body, 'confirm') === undefined || !name) {
    return confirmationPage(req, owner, manifest, name, stateParam);
  }
  const taken = [...state.apps.values()].some((a) => a.name.toLowerCase() === name.toLowerCase());
  if (taken) return confirmationPage(req, owner, manifest, name, stateParam, `Name "${name}" is already taken; choose another.`);
  const registered = registerApp(state, owner, manifest, name);
  const code = randomBytes(20).toString('hex');
  state.manifestCodes.set(code, { code, appId: registered.app.id, privateKeyPem: registered.privateKeyPem, expiresAt: new Date(state.now().getTime() + CODE_TTL_MS) });
  const target = new URL(manifest.redirectUrl ?? `${webUrl}/settings/apps/${registered.app.slug}`);
  target.searchParams.set('code', code);
  if (stateParam) target.searchParams.set('state', stateParam);
  return { status: 302, headers: { location: target.toString() }, body: '' };
}

function confirmationPage(req: EmulatorRequest, owner: GitHubAccount, manifest: Manifest, name: string, stateParam: string, problem?: string): EmulatorResponse {
  const permissions = Object.entries(manifest.permissions).map(([p, level]) => html`<li><code>${p}</code>: ${level}</li>`);
  const page = htmlPage(
    'GitHub',
    'Create GitHub App',
    html`<div class="card"><h1>Create GitHub App for ${owner.login}</h1>
${problem ? html`<p class="badge closed" data-testid="manifest-error">${problem}</p>` : ''}
<form method="post" action="${req.path}${stateParam ? `?state=${encodeURIComponent(stateParam)}` : ''}">
<input type="hidden" name="manifest" value="${JSON.stringify(manifestBack(manifest))}">
<input type="hidden" name="state" value="${stateParam}">
<p><label for="app-name">GitHub App name</label><br><input id="app-name" name="name" value="${name}" required></p>
<p class="muted">Homepage: ${manifest.url}<br>Webhook: ${manifest.hookUrl ?? 'inactive'}<br>Redirects to: ${manifest.redirectUrl ?? 'the App settings page'}</p>
<p>Permissions:</p><ul>${permissions}</ul>
<p>Events: ${manifest.events.join(', ') || 'none'}</p>
<p><button class="primary" type="submit" name="confirm" value="1">Create GitHub App</button></p></form></div>`,
  );
  // The form posts back here; the redirect that follows leaves for the manifest's redirect_url.
  const redirectOrigin = manifest.redirectUrl ? ` ${new URL(manifest.redirectUrl).origin}` : '';
  return { ...page, headers: { ...page.headers, 'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${redirectOrigin}; base-uri 'none'` } };
}

/** The manifest as the confirmation form carries it on to its own post. */
function manifestBack(m: Manifest): Record<string, unknown> {
  return {
    name: m.name,
    url: m.url,
    description: m.description,
    hook_attributes: m.hookUrl ? { url: m.hookUrl } : { active: false },
    ...(m.redirectUrl ? { redirect_url: m.redirectUrl } : {}),
    default_permissions: m.permissions,
    default_events: m.events,
  };
}

function slugOf(name: string, state: GitHubState): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'app';
  let slug = base;
  for (let n = 2; [...state.apps.values()].some((a) => a.slug === slug); n += 1) slug = `${base}-${n}`;
  return slug;
}

function registerApp(state: GitHubState, owner: GitHubAccount, manifest: Manifest, name: string): { app: RegisteredApp; privateKeyPem: string } {
  // GitHub hands out the App's key as PKCS#1 ("BEGIN RSA PRIVATE KEY").
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
  const app: RegisteredApp = {
    id: state.newId(),
    slug: slugOf(name, state),
    name,
    description: manifest.description,
    owner,
    externalUrl: manifest.url,
    hookUrl: manifest.hookUrl,
    publicKeyPem: pair.publicKey,
    clientId: `Iv23${randomBytes(8).toString('hex')}`,
    clientSecret: randomBytes(20).toString('hex'),
    webhookSecret: manifest.hookActive ? randomBytes(20).toString('hex') : null,
    permissions: manifest.permissions,
    events: manifest.events,
    createdAt: state.timestamp(),
  };
  state.apps.set(app.id, app);
  return { app, privateKeyPem: pair.privateKey };
}

/** GitHub's `integration` shape for an App made through the manifest flow. */
export function registeredAppShape(app: RegisteredApp, urls: UrlBase, installationsCount: number): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: Buffer.from(`App:${app.id}`).toString('base64url'),
    client_id: app.clientId,
    owner: accountShape(app.owner, urls),
    name: app.name,
    description: app.description || null,
    external_url: app.externalUrl,
    html_url: `${urls.web}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: app.permissions,
    events: app.events,
    installations_count: installationsCount,
  };
}

/** `POST /app-manifests/{code}/conversions`: the code, once and within the hour, for the App's credentials. */
export function registerAppManifestRoutes(table: RouteTable): void {
  table.on('POST', '/app-manifests/:code/conversions', { auth: 'none' }, (req, ctx) => {
    const pending = ctx.state.manifestCodes.get(req.params.code ?? '');
    if (!pending) throw notFound();
    ctx.state.manifestCodes.delete(pending.code);
    const app = ctx.state.apps.get(pending.appId);
    if (!app || pending.expiresAt.getTime() <= ctx.state.now().getTime()) throw notFound();
    return ok(201, {
      ...registeredAppShape(app, ctx.urls, 0),
      client_secret: app.clientSecret,
      webhook_secret: app.webhookSecret,
      pem: pending.privateKeyPem,
    });
  });
}
