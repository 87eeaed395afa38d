import { describe, expect, it } from 'vitest';
import { imageRepository, isImageAllowed, isImageReference, parseImageAllowlist } from '../../src/domain/runner-image.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('runner image references and the allow-list', () => {
  it('accepts full references that name their registry, and nothing Docker would read differently', () => {
    for (const ok of ['ghcr.io/ai-implement/runner:0.1.0', `ghcr.io/ai-implement/runner@${DIGEST}`, `ghcr.io/a/b/c:1.2@${DIGEST}`, 'localhost:5000/runner', 'registry.fly.io/acme-runner:deployment-01', '127.0.0.1:5000/x_y/z-w:t']) {
      expect(isImageReference(ok), ok).toBe(true);
    }
    for (const bad of ['runner', 'runner:latest', 'acme/runner:1', 'GHCR.io/acme/runner', 'ghcr.io/Acme/runner', 'ghcr.io/acme/runner:', 'ghcr.io/acme/runner@sha256:abc', 'ghcr.io/acme/runner:1 --privileged', 'ghcr.io/acme/runner\n', '-ghcr.io/acme/runner', 'https://ghcr.io/acme/runner']) {
      expect(isImageReference(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('reads the repository of a reference', () => {
    expect(imageRepository('ghcr.io/acme/runner:1.2.3')).toBe('ghcr.io/acme/runner');
    expect(imageRepository(`ghcr.io/acme/runner:1@${DIGEST}`)).toBe('ghcr.io/acme/runner');
    expect(imageRepository('localhost:5000/runner')).toBe('localhost:5000/runner');
  });

  it('allows a repository exactly, or anything under a namespace ending in "/"', () => {
    const list = ['ghcr.io/ai-implement/runner', 'registry.fly.io/'];
    expect(isImageAllowed('ghcr.io/ai-implement/runner:1.0.0', list)).toBe(true);
    expect(isImageAllowed(`ghcr.io/ai-implement/runner@${DIGEST}`, list)).toBe(true);
    expect(isImageAllowed('registry.fly.io/any-app:7', list)).toBe(true);
    expect(isImageAllowed('ghcr.io/ai-implement/runner-evil:1', list)).toBe(false);
    expect(isImageAllowed('ghcr.io/ai-implement/runner/sub:1', list)).toBe(false);
    expect(isImageAllowed('ghcr.io/ai-implement/orchestrator:1', list)).toBe(false);
    expect(isImageAllowed('docker.io/ai-implement/runner:1', list)).toBe(false);
  });

  it('parses an allow-list separated by commas or white space and reports entries that cannot be right', () => {
    expect(parseImageAllowlist('ghcr.io/acme/runner, registry.fly.io/\n ghcr.io/acme/')).toEqual({ entries: ['ghcr.io/acme/runner', 'registry.fly.io/', 'ghcr.io/acme/'], invalid: [] });
    expect(parseImageAllowlist('acme ghcr.io/acme/* ghcr.io').invalid).toEqual(['acme', 'ghcr.io/acme/*', 'ghcr.io']);
  });
});
