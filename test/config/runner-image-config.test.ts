import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { loadConfig } from '../../src/config/index.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  }
  throw new Error('expected loadConfig to refuse');
}

describe('RUNNER_IMAGE and RUNNER_IMAGE_ALLOWLIST', () => {
  it('defaults to the runner image published with this release, and an allow-list of its repository', () => {
    expect(loadConfig({}, { version: '1.4.2' })).toMatchObject({ runnerImage: 'ghcr.io/ai-implement/runner:1.4.2', runnerImageAllowlist: ['ghcr.io/ai-implement/runner'] });
    expect(loadConfig({}, { version: '2.0.0-rc.1' }).runnerImage).toBe('ghcr.io/ai-implement/runner:2.0.0-rc.1');
    expect(loadConfig({}).runnerImage).toBe('ghcr.io/ai-implement/runner:latest');
  });

  it('takes an image and an allow-list of repositories and namespaces', () => {
    const config = loadConfig({ RUNNER_IMAGE: 'registry.fly.io/acme-runners:7', RUNNER_IMAGE_ALLOWLIST: 'ghcr.io/acme/runner, registry.fly.io/' });
    expect(config.runnerImage).toBe('registry.fly.io/acme-runners:7');
    expect(config.runnerImageAllowlist).toEqual(['ghcr.io/acme/runner', 'registry.fly.io/']);
  });

  it('refuses an image the allow-list does not cover, naming both variables and the fix', () => {
    const text = problemsOf({ RUNNER_IMAGE: 'ghcr.io/acme/runner:1.0.0' });
    expect(text).toContain('RUNNER_IMAGE ghcr.io/acme/runner:1.0.0 is not allowed by RUNNER_IMAGE_ALLOWLIST (ghcr.io/ai-implement/runner)');
    expect(text).toContain('add ghcr.io/acme/runner (or its namespace ending in "/") to RUNNER_IMAGE_ALLOWLIST');
    // A look-alike repository is not the allowed one.
    expect(problemsOf({ RUNNER_IMAGE: 'ghcr.io/ai-implement/runner-evil:1' })).toContain('is not allowed by RUNNER_IMAGE_ALLOWLIST');
  });

  it('refuses an image reference or an allow-list entry that cannot be right', () => {
    expect(problemsOf({ RUNNER_IMAGE: 'runner:latest' })).toContain('RUNNER_IMAGE must be a full image reference that names its registry');
    expect(problemsOf({ RUNNER_IMAGE: 'ghcr.io/acme/runner:1 --privileged' })).toContain('RUNNER_IMAGE must be a full image reference');
    expect(problemsOf({ RUNNER_IMAGE_ALLOWLIST: 'acme' })).toContain('RUNNER_IMAGE_ALLOWLIST entries must be image repositories');
    expect(problemsOf({ RUNNER_IMAGE_ALLOWLIST: 'ghcr.io/acme/*' })).toContain('"ghcr.io/acme/*"');
  });
});
