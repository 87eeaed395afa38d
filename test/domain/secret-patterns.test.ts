import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { redactSecretPatterns, SECRET_PATTERN_NAMES } from '../../src/domain/secret-patterns.js';

/** Random-looking characters of a given length (mixed case and digits, as real keys are). */
function chars(length: number, alphabet = 'aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z'): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(i * 7 + 3) % alphabet.length];
  return out;
}

const TOKENS: Record<string, string> = {
  'GitHub installation (ghs_)': `ghs_${chars(36)}`,
  'GitHub personal (ghp_)': `ghp_${chars(36)}`,
  'GitHub OAuth (gho_)': `gho_${chars(36)}`,
  'GitHub user-to-server (ghu_)': `ghu_${chars(36)}`,
  'GitHub refresh (ghr_)': `ghr_${chars(76)}`,
  'GitHub fine-grained PAT': `github_pat_11${chars(20)}_${chars(59)}`,
  'Anthropic': `sk-ant-api03-${chars(80)}-${chars(12)}AA`,
  'OpenAI project': `sk-proj-${chars(60)}_${chars(40)}`,
  'OpenAI legacy': `sk-${chars(48)}`,
  'AWS access key id': 'AKIAIOSFODNN7EXAMPLE',
  'AWS temporary key id': 'ASIAY34FZKBOKMUTVV7A',
  'Slack bot': `xoxb-123456789012-1234567890123-${chars(24)}`,
  'Slack user': `xoxp-123456789012-1234567890123-${chars(32)}`,
  'GitLab': `glpat-${chars(20)}`,
  'Google API key': `AIza${chars(35)}`,
  'JWT': 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
};

describe('credential shapes are scrubbed even when never registered', () => {
  for (const [name, token] of Object.entries(TOKENS)) {
    it(`${name}: alone, inside a sentence, in a URL and in a JSON log line`, () => {
      expect(redactSecretPatterns(token)).toBe('[REDACTED]');
      expect(redactSecretPatterns(`push failed with ${token}, retrying`)).toBe('push failed with [REDACTED], retrying');
      expect(redactSecretPatterns(`curl https://api.example.test/x?key=${token}&page=2`)).toBe('curl https://api.example.test/x?key=[REDACTED]&page=2');
      const line = JSON.stringify({ level: 40, msg: `agent printed ${token}` });
      expect(JSON.parse(redactSecretPatterns(line)).msg).toBe('agent printed [REDACTED]');
    });
  }

  it('scrubs an AWS secret access key only where it is labelled, keeping the label', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    expect(redactSecretPatterns(`aws_secret_access_key = ${secret}`)).toBe('aws_secret_access_key = [REDACTED]');
    expect(redactSecretPatterns(`AWS_SECRET_ACCESS_KEY=${secret}`)).toBe('AWS_SECRET_ACCESS_KEY=[REDACTED]');
    expect(redactSecretPatterns(`{"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"${secret}"}`)).toBe('{"AccessKeyId":"[REDACTED]","SecretAccessKey":"[REDACTED]"}');
    const session = chars(180, 'AbCdEf0123456789+/gHiJkLmN');
    expect(redactSecretPatterns(`aws_session_token=${session}`)).toBe('aws_session_token=[REDACTED]');
    // Forty base64 characters with no label are as likely a hash in code as a key.
    expect(redactSecretPatterns(`value: ${secret}`)).toBe(`value: ${secret}`);
  });

  it('scrubs Authorization header credentials however they were printed, keeping the scheme', () => {
    expect(redactSecretPatterns('Authorization: Bearer abc.def-ghi_jkl')).toBe('Authorization: Bearer [REDACTED]');
    expect(redactSecretPatterns('curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA==" https://x.test')).toBe('curl -H "Authorization: Basic [REDACTED]" https://x.test');
    expect(redactSecretPatterns('{"authorization":"token 0123456789abcdef"}')).toBe('{"authorization":"token [REDACTED]"}');
    expect(redactSecretPatterns('{"msg":"headers {\\"authorization\\":\\"Bearer opaque-value-1\\"}"}')).toBe('{"msg":"headers {\\"authorization\\":\\"Bearer [REDACTED]\\"}"}');
    expect(redactSecretPatterns('proxy-authorization: bearer opaque-value-2')).toBe('proxy-authorization: bearer [REDACTED]');
  });

  it('scrubs the password of a URL that carries credentials', () => {
    expect(redactSecretPatterns('fatal: could not read from https://x-access-token:opaqueValue123@github.com/acme/app.git')).toBe(
      'fatal: could not read from https://x-access-token:[REDACTED]@github.com/acme/app.git',
    );
  });

  it('has a test above for every pattern it applies', () => {
    expect(SECRET_PATTERN_NAMES).toEqual([
      'github',
      'anthropic',
      'openai-project',
      'openai',
      'aws-access-key-id',
      'aws-secret-access-key',
      'aws-session-token',
      'slack',
      'gitlab',
      'google-api-key',
      'jwt',
      'authorization-header',
      'url-credentials',
    ]);
  });
});

describe('ordinary text survives the patterns', () => {
  const ORDINARY = [
    'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (HEAD -> main)',
    'run 123e4567-e89b-12d3-a456-426614174000 attempt 2',
    'const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";',
    'integrity sha512-Q5Y2Ka1b8GkRvGqJZ1vWbF3kD0KmK7RmUZ1TgS0+Vw6nO5Q2p3CkG9mR0H6kW2xQ9yT1uV4sA7bC8dE0fF1gG2==',
    'image ghcr.io/acme/runner@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    'branch ai-implement/eng-12-sk-add-disk-usage-monitoring-to-the-settings-page-2024',
    'disk-usage-monitoring-service-for-the-cluster-nodes-2024-v2',
    'uses sk-learn-compatible-model-registry-upgrade-path-v2 for scoring',
    'GitHub tokens look like ghp_xxxx or ghs_…; set GITHUB_TOKEN',
    'The Authorization header is missing; send Authorization: Bearer\nnext line stays',
    'AKIA is the prefix of access key ids; AKIAFOO is too short',
    'header eyJhbGciOiJIUzI1NiJ9 alone is not a token',
    'git clone ssh://git@github.com:22/acme/app.git and https://github.com/acme/app.git',
    'server listening on http://localhost:3000/admin (mailto:ops@example.com)',
    'xoxb- and glpat- are prefixes; AIza too',
    'src/orchestrator/clean-runner-text.test.ts passed in 1.2s (v20.19.0)',
  ];
  for (const text of ORDINARY) {
    it(`keeps: ${text.slice(0, 60)}`, () => {
      expect(redactSecretPatterns(text)).toBe(text);
      // The registry applies the same patterns, with nothing registered.
      expect(new SecretRegistry().redact(text)).toBe(text);
    });
  }
});
