import { createRequire } from 'node:module';
import type { EmulatorExchange, EmulatorServer } from '../../../src/sandbox/emulator-server.js';
import { GraphQLDescription } from './check-graphql-exchange.js';
import { checkOpenApiExchange } from './check-openapi-exchange.js';
import { OpenApiDescription } from './openapi-description.js';
import { TrafficAudit, type DescriptionDefect } from './traffic-audit.js';

/**
 * The four vendors' descriptions, each read once per test file, and an audit
 * of an emulator's traffic against each. The fixtures' provenance is in
 * their headers (`x-provenance`, the schema's first comment lines).
 */

const vendorDir = new URL('../../fixtures/vendor/', import.meta.url);
const cache = new Map<string, OpenApiDescription | GraphQLDescription>();

function cached<T extends OpenApiDescription | GraphQLDescription>(key: string, load: () => T): T {
  let found = cache.get(key) as T | undefined;
  if (!found) {
    found = load();
    cache.set(key, found);
  }
  return found;
}

/** GitHub's own description of api.github.com (`@octokit/openapi`); GHES clients add `/api/v3`. */
export function githubDescription(): OpenApiDescription {
  return cached('github', () => {
    const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
    return OpenApiDescription.load('GitHub', file, ['/api/v3']);
  });
}

export function jiraDescription(): OpenApiDescription {
  return cached('jira', () => OpenApiDescription.load('Jira', new URL('jira-platform-v3.openapi.json', vendorDir)));
}

/** Fly's Swagger 2.0 description has `basePath: /v1`. */
export function flyDescription(): OpenApiDescription {
  return cached('fly', () => OpenApiDescription.load('Fly Machines', new URL('fly-machines.swagger.json', vendorDir), ['/v1']));
}

export function linearDescription(): GraphQLDescription {
  return cached('linear', () => GraphQLDescription.load('Linear', new URL('linear-schema.graphql', vendorDir)));
}

/**
 * Routes the GitHub emulator serves that are not the REST API: git over
 * HTTP (the web host), the Actions OIDC issuer (token.actions.githubusercontent.com),
 * the manifest flow's web page and the sandbox's own helpers.
 */
export function isGitHubNonRest(exchange: EmulatorExchange): boolean {
  const path = exchange.path;
  return (
    /\.git(\/|$)/.test(path) ||
    path.startsWith('/_sandbox/') ||
    path.startsWith('/.well-known/') ||
    path.startsWith('/_oidc/') ||
    // The "Register new GitHub App" page of the manifest flow (github.com, not the API).
    /^\/(?:organizations\/[^/]+\/)?settings\/apps\/new\/?$/.test(path)
  );
}

/**
 * GitHub's description inlines the installation list's `account` as
 * `allOf: [simple-user, enterprise]` where every other installation answer
 * says `anyOf`; no account is both, and github.com sends a plain user or
 * organization there, so the enterprise-only fields are not required.
 */
const GITHUB_DEFECTS: DescriptionDefect[] = [
  {
    operation: 'apps/list-installations',
    at: /^body\[\d+\]\.account\.(name|slug|created_at|updated_at)$/,
    why: 'allOf where the other installation answers say anyOf (simple-user or enterprise)',
  },
];

/** `skip`: exchanges a test sends on purpose to a route GitHub does not have. */
export function auditGitHub(server: EmulatorServer, skip: (exchange: EmulatorExchange) => boolean = () => false): TrafficAudit {
  const description = githubDescription();
  return new TrafficAudit(server, (exchange) => checkOpenApiExchange(description, exchange), (exchange) => isGitHubNonRest(exchange) || skip(exchange), GITHUB_DEFECTS);
}

export function auditJira(server: EmulatorServer): TrafficAudit {
  const description = jiraDescription();
  return new TrafficAudit(server, (exchange) => checkOpenApiExchange(description, exchange));
}

/** Fly's GraphQL API (`/graphql`, app secrets) is not the Machines API and has no description here. */
export function auditFly(server: EmulatorServer): TrafficAudit {
  const description = flyDescription();
  return new TrafficAudit(server, (exchange) => checkOpenApiExchange(description, exchange), (exchange) => exchange.path === '/graphql');
}

export function auditLinear(server: EmulatorServer): TrafficAudit {
  const description = linearDescription();
  return new TrafficAudit(server, (exchange) => description.check(exchange));
}

/** Fails with every distinct mismatch the audit saw, one a line. */
export function expectTrueToVendor(audit: TrafficAudit, vendor: string): void {
  const found = audit.mismatches;
  if (found.length > 0) throw new Error(`the ${vendor} emulator's traffic differs from ${vendor}'s description in ${found.length} way(s):\n${found.join('\n')}`);
}
