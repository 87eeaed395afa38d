import type { ModelProvider } from '../../domain/mapping.js';

/**
 * One table per runtime and provider: the binary, how credentials reach it,
 * and the model used when neither the mapping nor the repository names one.
 * The README's runtime table is generated from this one.
 */

export interface RuntimeProviderSpec {
  provider: ModelProvider;
  /** Any one of these sets of variables is enough (every variable of the set non-empty). */
  credentials: readonly (readonly string[])[];
  /** The vendor's current model for this runtime and provider, in the name this provider takes. */
  defaultModel: string;
  /** One line for the README and the refusal message: how credentials reach the agent. */
  how: string;
}

export interface RuntimeSpec {
  id: string;
  /** The command on PATH; undefined for a runtime that runs in-process (demo). */
  binary?: string;
  /**
   * The npm package in the agents manifest (runner/agents/package.json); Cursor's CLI has none.
   * `{platform}` stands for `linux-x64` or `linux-arm64` where the manifest pins one package per platform.
   */
  npmPackage?: string;
  /** Prints the version and exits. */
  versionArgs: readonly string[];
  providers: readonly RuntimeProviderSpec[];
}

export const RUNTIME_TABLE: readonly RuntimeSpec[] = [
  {
    id: 'claude-code',
    binary: 'claude',
    npmPackage: '@anthropic-ai/claude-code',
    versionArgs: ['--version'],
    providers: [
      { provider: 'anthropic', credentials: [['ANTHROPIC_API_KEY'], ['CLAUDE_CODE_OAUTH_TOKEN']], defaultModel: 'claude-sonnet-4-5', how: 'ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN)' },
      {
        provider: 'bedrock',
        credentials: [['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'], ['AWS_PROFILE'], ['AWS_BEARER_TOKEN_BEDROCK']],
        defaultModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
        how: 'AWS credentials (keys, a web-identity role, a profile or a Bedrock API key) and awsRegion; models are inference-profile ids',
      },
      { provider: 'vertex', credentials: [['ANTHROPIC_VERTEX_PROJECT_ID', 'CLOUD_ML_REGION']], defaultModel: 'claude-sonnet-4-5@20250929', how: 'ANTHROPIC_VERTEX_PROJECT_ID and CLOUD_ML_REGION with Google application credentials' },
    ],
  },
  {
    id: 'codex',
    binary: 'codex',
    npmPackage: '@openai/codex',
    versionArgs: ['--version'],
    providers: [{ provider: 'openai', credentials: [['CODEX_API_KEY'], ['OPENAI_API_KEY']], defaultModel: 'gpt-5.1-codex', how: 'CODEX_API_KEY (OPENAI_API_KEY is passed as CODEX_API_KEY)' }],
  },
  {
    id: 'gemini',
    binary: 'gemini',
    npmPackage: '@google/gemini-cli',
    versionArgs: ['--version'],
    providers: [
      { provider: 'google', credentials: [['GEMINI_API_KEY'], ['GOOGLE_API_KEY']], defaultModel: 'gemini-2.5-pro', how: 'GEMINI_API_KEY (or GOOGLE_API_KEY)' },
      { provider: 'vertex', credentials: [['GOOGLE_CLOUD_PROJECT', 'GOOGLE_CLOUD_LOCATION']], defaultModel: 'gemini-2.5-pro', how: 'GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION with Google application credentials' },
    ],
  },
  {
    id: 'opencode',
    binary: 'opencode',
    npmPackage: 'opencode-{platform}',
    versionArgs: ['--version'],
    providers: [
      { provider: 'anthropic', credentials: [['ANTHROPIC_API_KEY']], defaultModel: 'anthropic/claude-sonnet-4-5', how: 'ANTHROPIC_API_KEY' },
      { provider: 'openai', credentials: [['OPENAI_API_KEY']], defaultModel: 'openai/gpt-5.1-codex', how: 'OPENAI_API_KEY' },
    ],
  },
  {
    id: 'cursor',
    binary: 'cursor-agent',
    versionArgs: ['--version'],
    providers: [{ provider: 'cursor', credentials: [['CURSOR_API_KEY']], defaultModel: 'auto', how: 'CURSOR_API_KEY' }],
  },
  { id: 'demo', versionArgs: [], providers: [] },
];

export function runtimeSpecOf(id: string): RuntimeSpec | undefined {
  return RUNTIME_TABLE.find((r) => r.id === id);
}
