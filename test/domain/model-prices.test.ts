import { describe, expect, it } from 'vitest';
import { MODEL_PRICES, modelPriceOf, normalizeModelId, priceUsage } from '../../src/domain/model-prices.js';
import { RUNTIME_TABLE } from '../../src/runner/runtimes/runtime-table.js';

describe('model prices', () => {
  it('is one dated table with one row per model', () => {
    expect(MODEL_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const ids = MODEL_PRICES.entries.flatMap((e) => [e.model, ...(e.aliases ?? [])]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('prices input, output, cache reads and cache writes apart (Sonnet 4.5: $3 / $15 / $0.30 / $3.75)', () => {
    const cost = priceUsage('claude-sonnet-4-5', { input: 12_345, output: 2_345, cacheRead: 10_000, cacheWrite: 1_000 });
    // 12,345 × 3 + 2,345 × 15 + 10,000 × 0.3 + 1,000 × 3.75 = 37,035 + 35,175 + 3,000 + 3,750 micro-dollars
    expect(cost).toBe(0.07896);
  });

  it('treats missing cache counts as none', () => {
    expect(priceUsage('gpt-5.1-codex', { input: 1_000_000, output: 100_000 })).toBe(2.25);
    expect(priceUsage('gpt-5.1-codex', { input: 0, output: 0, cacheRead: 1_000_000 })).toBe(0.125);
  });

  it('bills OpenAI and Gemini cache writes as plain input (they charge no write fee)', () => {
    expect(modelPriceOf('gpt-5')).toEqual({ input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 });
    expect(priceUsage('gemini-2.5-flash', { input: 100_000, output: 10_000, cacheRead: 200_000 })).toBe(0.03 + 0.025 + 0.006);
  });

  it('gives no cost for an unknown or missing model, never a neighbour’s price', () => {
    expect(priceUsage('claude-sonnet-9', { input: 1_000, output: 1_000 })).toBeUndefined();
    expect(priceUsage('auto', { input: 1_000, output: 1_000 })).toBeUndefined();
    expect(priceUsage('sonnet', { input: 1_000, output: 1_000 })).toBeUndefined();
    expect(priceUsage('claude-sonnet-4-5[1m]', { input: 1_000, output: 1_000 })).toBeUndefined();
    expect(priceUsage(undefined, { input: 1_000, output: 1_000 })).toBeUndefined();
  });

  it('maps Bedrock inference profiles, Vertex names, OpenCode routes and dated snapshots to the same row', () => {
    const sonnet = modelPriceOf('claude-sonnet-4-5');
    for (const id of [
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'claude-sonnet-4-5@20250929',
      'publishers/anthropic/models/claude-sonnet-4-5@20250929',
      'anthropic/claude-sonnet-4-5',
      'claude-sonnet-4-5-20250929',
      'Claude-Sonnet-4-5',
    ]) {
      expect(modelPriceOf(id), id).toEqual(sonnet);
    }
    expect(normalizeModelId('openai/gpt-5.1-codex')).toBe('gpt-5.1-codex');
    expect(normalizeModelId('gpt-5.1-2025-11-13')).toBe('gpt-5.1');
    expect(normalizeModelId('models/gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(modelPriceOf('claude-opus-4-0')).toEqual(modelPriceOf('claude-opus-4'));
    // Opus 4.1 keeps the old tier; 4.5 is the cheaper one.
    expect(modelPriceOf('claude-opus-4-1-20250805')?.input).toBe(15);
    expect(modelPriceOf('us.anthropic.claude-opus-4-5-20251101-v1:0')?.input).toBe(5);
  });

  it('knows every default model of the runtime table except Cursor’s "auto"', () => {
    for (const runtime of RUNTIME_TABLE) {
      for (const provider of runtime.providers) {
        if (provider.defaultModel === 'auto') continue;
        expect(modelPriceOf(provider.defaultModel), `${runtime.id}/${provider.provider}`).toBeDefined();
      }
    }
  });
});
