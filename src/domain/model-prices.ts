import type { TokenUsage } from './run.js';

/**
 * What an agent's tokens cost at the vendors' published list prices, for the
 * CLIs that report tokens but no cost (Codex, Gemini CLI, OpenCode). A CLI
 * that reports its own cost (Claude Code) is believed over this table.
 *
 * Prices are USD per million tokens. `cacheWrite` is what writing a prompt
 * cache costs: Anthropic bills it apart (the 5-minute write, the one the CLIs
 * use); OpenAI and Google charge no write fee, so a written token is an
 * ordinary input token there. Tokens are counted apart: `input` holds only
 * the uncached input tokens, never the cache reads or writes (OpenAI and
 * Gemini report cached tokens inside their input count; the runtime that
 * parses them subtracts them).
 *
 * A model the table does not know gets no computed cost: never a guess from
 * a neighbouring model. Not modelled, on purpose: Batch and priority tiers
 * (agents do not use them), Gemini 2.5 Pro's higher rate for prompts over
 * 200k tokens (tokens arrive summed per call, so the prompt size of each
 * request is unknown; the ≤200k rate is used), Gemini's cache storage per
 * hour, and the surcharge some Bedrock and Vertex regional endpoints add.
 */

export interface ModelPrice {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface ModelPriceEntry {
  /** The vendor's model id without date or version suffix, as `normalizeModelId` leaves it. */
  model: string;
  /** Other ids of the same model (dated snapshots the normaliser does not strip, `-0` aliases). */
  aliases?: readonly string[];
  vendor: 'anthropic' | 'openai' | 'google';
  price: ModelPrice;
}

export interface ModelPriceTable {
  /** The day the prices below were checked against the sources named in the comments. */
  asOf: string;
  entries: readonly ModelPriceEntry[];
}

const anthropic = (model: string, input: number, output: number, cacheWrite: number, cacheRead: number, aliases?: string[]): ModelPriceEntry => ({
  model,
  vendor: 'anthropic',
  price: { input, output, cacheRead, cacheWrite },
  ...(aliases ? { aliases } : {}),
});

/** No write fee at OpenAI and Google: a cache write is billed as input. */
const uncachedWrite = (vendor: 'openai' | 'google', model: string, input: number, output: number, cacheRead: number, aliases?: string[]): ModelPriceEntry => ({
  model,
  vendor,
  price: { input, output, cacheRead, cacheWrite: input },
  ...(aliases ? { aliases } : {}),
});

export const MODEL_PRICES: ModelPriceTable = {
  asOf: '2026-12-07',
  entries: [
    // Anthropic: https://platform.claude.com/docs/en/about-claude/pricing ("Model pricing": base input,
    // 5m cache writes, cache hits, output), checked 2026-12-07. Bedrock and Vertex bill the same list
    // prices on their global endpoints. Opus 4.5 and later dropped to $5/$25; 4 and 4.1 stay at $15/$75.
    anthropic('claude-opus-5', 5, 25, 6.25, 0.5),
    anthropic('claude-opus-4-8', 5, 25, 6.25, 0.5),
    anthropic('claude-opus-4-7', 5, 25, 6.25, 0.5),
    anthropic('claude-opus-4-6', 5, 25, 6.25, 0.5),
    anthropic('claude-opus-4-5', 5, 25, 6.25, 0.5),
    anthropic('claude-opus-4-1', 15, 75, 18.75, 1.5),
    anthropic('claude-opus-4', 15, 75, 18.75, 1.5, ['claude-opus-4-0']),
    anthropic('claude-sonnet-4-6', 3, 15, 3.75, 0.3),
    anthropic('claude-sonnet-4-5', 3, 15, 3.75, 0.3),
    anthropic('claude-sonnet-4', 3, 15, 3.75, 0.3, ['claude-sonnet-4-0']),
    anthropic('claude-3-7-sonnet', 3, 15, 3.75, 0.3),
    anthropic('claude-haiku-4-5', 1, 5, 1.25, 0.1),
    anthropic('claude-3-5-haiku', 0.8, 4, 1, 0.08),
    // Sonnet 5 from its model page, https://platform.claude.com/docs/en/models/sonnet-5/overview
    // ($2 in, $10 out, $2.50 5m write, $0.20 cache read), checked 2026-12-07. Sonnet 5.5, Opus 5.5,
    // Haiku 5.5 and Fable are left out: secondary sources disagree on their cache-read rates.
    anthropic('claude-sonnet-5', 2, 10, 2.5, 0.2),

    // OpenAI: the model pages under https://developers.openai.com/api/docs/models/ (gpt-5-codex and
    // gpt-5.1: $1.25 in, $0.125 cached, $10 out; gpt-5 the same; gpt-5-mini $0.25 in), checked
    // 2026-12-07. gpt-5.1-codex ($1.25 / $10) and gpt-5.1-codex-mini ($0.25 / $2) as OpenRouter and
    // model-comparison pages list OpenAI's rates, cached input at the GPT-5 family's tenth of input;
    // gpt-5.2 and the 5.2/5.3 codex models at $1.75 / $0.175 / $14, as GitHub's Copilot model table
    // and OpenAI's Codex rate card (25 credits = $1) both list them.
    uncachedWrite('openai', 'gpt-5', 1.25, 10, 0.125),
    uncachedWrite('openai', 'gpt-5-codex', 1.25, 10, 0.125),
    uncachedWrite('openai', 'gpt-5.1', 1.25, 10, 0.125),
    uncachedWrite('openai', 'gpt-5.1-codex', 1.25, 10, 0.125),
    uncachedWrite('openai', 'gpt-5-mini', 0.25, 2, 0.025),
    uncachedWrite('openai', 'gpt-5.1-codex-mini', 0.25, 2, 0.025),
    uncachedWrite('openai', 'gpt-5.2', 1.75, 14, 0.175),
    uncachedWrite('openai', 'gpt-5.2-codex', 1.75, 14, 0.175),
    uncachedWrite('openai', 'gpt-5.3-codex', 1.75, 14, 0.175),

    // Google: https://ai.google.dev/gemini-api/docs/pricing (paid tier, text, prompts ≤200k tokens;
    // "context caching price" as the cache read). The page itself was not in the stored copies on
    // 2026-12-07: 2.5 Pro ($1.25 / $10, caching $0.125) is as Google's developer forum quotes it, 2.5
    // Flash ($0.30 / $2.50) as several dated secondary copies agree; Flash's $0.03 caching rate is the
    // page's as last read and is the one number here not re-checked that day.
    uncachedWrite('google', 'gemini-2.5-pro', 1.25, 10, 0.125),
    uncachedWrite('google', 'gemini-2.5-flash', 0.3, 2.5, 0.03),
  ],
};

/** Routing prefixes some CLIs put before a model id (`anthropic/claude-…` in OpenCode, `models/gemini-…`). */
const ROUTE_PREFIX = /^(?:anthropic|openai|google|gemini|vertex_ai|vertex|bedrock|models)\//;
/** Bedrock: an optional geography (an inference profile), the vendor, and a `-v1:0` version suffix. */
const BEDROCK_ID = /^(?:(?:us|eu|apac|au|jp|ca|global|us-gov)\.)?anthropic\.(.+?)(?:-v\d+(?::\d+)?)?$/;
/** Anthropic date suffixes (`-20250929`) and OpenAI ones (`-2025-11-13`). */
const DATE_SUFFIX = /-(?:\d{8}|\d{4}-\d{2}-\d{2})$/;

/**
 * The vendor's plain id of a model, however the provider spells it: a Bedrock
 * inference profile (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`, or its
 * ARN), a Vertex name (`claude-sonnet-4-5@20250929`, or its resource path),
 * an OpenCode route (`openai/gpt-5.1-codex`) or a dated snapshot.
 */
export function normalizeModelId(model: string): string {
  let id = model.trim().toLowerCase();
  // ARNs and Vertex resource paths end in the id after the last slash (routes keep theirs below).
  if (id.startsWith('arn:') || id.startsWith('projects/') || id.startsWith('publishers/')) id = id.slice(id.lastIndexOf('/') + 1);
  id = id.replace(ROUTE_PREFIX, '');
  const bedrock = BEDROCK_ID.exec(id);
  if (bedrock?.[1]) id = bedrock[1];
  const at = id.indexOf('@');
  if (at > 0) id = id.slice(0, at);
  return id.replace(DATE_SUFFIX, '');
}

/** The list price of a model, or undefined when the table does not know it. */
export function modelPriceOf(model: string, table: ModelPriceTable = MODEL_PRICES): ModelPrice | undefined {
  const id = normalizeModelId(model);
  return table.entries.find((e) => e.model === id || e.aliases?.includes(id))?.price;
}

/**
 * USD for `tokens` of `model` at list price, rounded to a millionth of a
 * dollar; undefined for an unknown (or missing) model.
 */
export function priceUsage(model: string | undefined, tokens: TokenUsage, table: ModelPriceTable = MODEL_PRICES): number | undefined {
  if (!model) return undefined;
  const price = modelPriceOf(model, table);
  if (!price) return undefined;
  const micro =
    tokens.input * price.input + tokens.output * price.output + (tokens.cacheRead ?? 0) * price.cacheRead + (tokens.cacheWrite ?? 0) * price.cacheWrite;
  // Per-million prices times token counts are micro-dollars; rounding there keeps float noise out.
  return Math.round(micro) / 1_000_000;
}
