import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { loadConfig } from '../../src/config/index.js';
import { gheHostProblems, githubEndpoints } from '../../src/config/github-endpoints.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  }
  throw new Error('expected loadConfig to refuse');
}

describe('GitHub endpoints from GHE_HOST', () => {
  it('github.com when GHE_HOST is unset', () => {
    const { github } = loadConfig({});
    expect(github).toMatchObject({ baseUrl: 'https://api.github.com', webUrl: 'https://github.com', actionsOidcIssuer: 'https://token.actions.githubusercontent.com' });
  });

  it('GitHub Enterprise Cloud with data residency: api.<sub>.ghe.com (no /api/v3), <sub>.ghe.com, token.actions.<sub>.ghe.com', () => {
    for (const host of ['octocorp.ghe.com', 'api.octocorp.ghe.com', 'OctoCorp.GHE.com', 'octocorp.ghe.com/']) {
      const { github } = loadConfig({ GHE_HOST: host }, { sandbox: false });
      expect(github, host).toMatchObject({
        baseUrl: 'https://api.octocorp.ghe.com',
        webUrl: 'https://octocorp.ghe.com',
        actionsOidcIssuer: 'https://token.actions.octocorp.ghe.com',
      });
    }
  });

  it('GitHub Enterprise Server: /api/v3 under the host, the host as web root, /_services/token as issuer', () => {
    expect(githubEndpoints('github.acme.internal')).toEqual({
      apiBaseUrl: 'https://github.acme.internal/api/v3',
      webUrl: 'https://github.acme.internal',
      actionsOidcIssuer: 'https://github.acme.internal/_services/token',
    });
    expect(githubEndpoints('ghes.example.com:8443', 'https').apiBaseUrl).toBe('https://ghes.example.com:8443/api/v3');
    // A host that merely contains "ghe.com" is not GHE.com.
    expect(githubEndpoints('myghe.com.example.net').apiBaseUrl).toBe('https://myghe.com.example.net/api/v3');
  });

  it('the emulator in sandbox mode signs id tokens as its own root', () => {
    const config = loadConfig({ GHE_HOST: '127.0.0.1:4010', GHE_PROTOCOL: 'http' }, { sandbox: true });
    expect(config.github).toMatchObject({ baseUrl: 'http://127.0.0.1:4010/api/v3', webUrl: 'http://127.0.0.1:4010', actionsOidcIssuer: 'http://127.0.0.1:4010' });
    const real = loadConfig({ GHE_HOST: '127.0.0.1:4010', GHE_PROTOCOL: 'http' }, { sandbox: false });
    expect(real.github.actionsOidcIssuer).toBe('http://127.0.0.1:4010/_services/token');
  });

  it('refuses a GHE_HOST that cannot be right, naming the variable and the fix', () => {
    expect(problemsOf({ GHE_HOST: 'https://octocorp.ghe.com' })).toContain('GHE_HOST must be a host name, not a URL: drop "https://" (the scheme goes in GHE_PROTOCOL)');
    expect(problemsOf({ GHE_HOST: 'github.acme.internal/api/v3' })).toContain('GHE_HOST must be a host name without a path: drop "/api/v3"');
    expect(problemsOf({ GHE_HOST: 'github.com' })).toContain('unset GHE_HOST');
    expect(problemsOf({ GHE_HOST: 'api.github.com' })).toContain('unset GHE_HOST');
    expect(problemsOf({ GHE_HOST: 'a.b.octocorp.ghe.com' })).toContain('must be <subdomain>.ghe.com (or api.<subdomain>.ghe.com)');
    expect(problemsOf({ GHE_HOST: 'octocorp.ghe.com:8443' })).toContain('must be <subdomain>.ghe.com');
    expect(problemsOf({ GHE_HOST: 'octocorp.ghe.com', GHE_PROTOCOL: 'http' })).toContain('GHE_PROTOCOL must be https (or unset) when GHE_HOST is a ghe.com host');
    expect(problemsOf({ GHE_HOST: 'two words' })).toContain('GHE_HOST must be a host name with an optional :port');
    expect(gheHostProblems(undefined, undefined)).toEqual([]);
    expect(gheHostProblems('127.0.0.1:4010', 'http')).toEqual([]);
    expect(gheHostProblems('[::1]:4010', 'http')).toEqual([]);
  });
});
