import type { EmulatorResponse } from '../emulator-server.js';
import type { FlyState } from './fly-state.js';
import type { FlyRelease } from './fly-types.js';

/**
 * Just enough of Fly's GraphQL API for app secrets and app lookups, matched
 * on the root fields fly-admin sends (`setSecrets`, `unsetSecrets`, `app`).
 * Secret values go in and never come back out: the `app { secrets }` query
 * answers names, digests and dates only, as Fly does.
 */

interface GraphQLBody {
  query?: unknown;
  variables?: unknown;
}

type Variables = Record<string, unknown>;

function gqlError(message: string, code = 'BAD_REQUEST'): EmulatorResponse {
  return { status: 200, body: { data: null, errors: [{ message, extensions: { code } }] } };
}

function releaseShape(release: FlyRelease): Record<string, unknown> {
  return {
    id: release.id,
    version: release.version,
    reason: release.reason,
    description: release.description,
    user: { id: 'emulator-user', email: 'emulator@fly.local', name: 'Fly Emulator' },
    evaluationId: `eval-${release.id}`,
    createdAt: release.createdAt.toISOString(),
  };
}

/** The value of `name:` in `app(name: …)`: a `$variable` or a string literal. */
function appNameArgument(query: string, variables: Variables): string | undefined {
  const match = /\bapp\s*\(\s*name\s*:\s*(?:\$(\w+)|"([^"]*)")\s*\)/.exec(query);
  if (!match) return undefined;
  if (match[2] !== undefined) return match[2];
  const value = variables[match[1] ?? ''];
  return typeof value === 'string' ? value : undefined;
}

function inputOf(variables: Variables): Record<string, unknown> {
  const input = variables.input;
  return input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
}

export function handleGraphQL(state: FlyState, raw: unknown): EmulatorResponse {
  const body = (raw && typeof raw === 'object' ? raw : {}) as GraphQLBody;
  if (typeof body.query !== 'string') return { status: 400, body: { errors: [{ message: 'query is required' }] } };
  const query = body.query.replace(/#[^\n]*/g, '');
  const variables = (body.variables && typeof body.variables === 'object' ? body.variables : {}) as Variables;

  if (/\bunsetSecrets\s*\(/.test(query)) {
    const input = inputOf(variables);
    const app = String(input.appId ?? '');
    if (!state.apps.has(app)) return gqlError(`Could not find App "${app}"`, 'NOT_FOUND');
    const keys = Array.isArray(input.keys) ? input.keys.map(String) : [];
    if (keys.length === 0) return gqlError('keys must not be empty');
    return { status: 200, body: { data: { unsetSecrets: { release: releaseShape(state.unsetSecrets(app, keys)), app: { name: app } } } } };
  }

  if (/\bsetSecrets\s*\(/.test(query)) {
    const input = inputOf(variables);
    const app = String(input.appId ?? '');
    if (!state.apps.has(app)) return gqlError(`Could not find App "${app}"`, 'NOT_FOUND');
    const secrets = Array.isArray(input.secrets) ? (input.secrets as Array<Record<string, unknown>>) : [];
    const pairs = secrets.map((s) => ({ key: String(s?.key ?? ''), value: String(s?.value ?? '') }));
    if (pairs.length === 0 || pairs.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.key))) {
      return gqlError('secrets must be a non-empty list of {key, value} with valid names');
    }
    const release = state.setSecrets(app, pairs, input.replaceAll === true);
    return { status: 200, body: { data: { setSecrets: { release: releaseShape(release), app: { name: app } } } } };
  }

  if (/\bapp\s*\(/.test(query)) {
    const name = appNameArgument(query, variables);
    const app = name ? state.apps.get(name) : undefined;
    if (!app) return gqlError(`Could not find App "${name ?? ''}"`, 'NOT_FOUND');
    const secrets = [...(state.secrets.get(app.name)?.values() ?? [])].map((s) => ({
      name: s.name,
      digest: s.digest,
      createdAt: s.createdAt.toISOString(),
    }));
    return {
      status: 200,
      body: {
        data: {
          app: {
            id: app.name,
            name: app.name,
            status: app.status,
            organization: { name: app.orgSlug, slug: app.orgSlug },
            ipAddresses: { nodes: [] },
            secrets,
          },
        },
      },
    };
  }

  return gqlError('this emulator answers setSecrets, unsetSecrets and app(name:) only');
}
