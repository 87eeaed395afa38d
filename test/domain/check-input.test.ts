import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { checkInput, problemSentence } from '../../src/domain/check-input.js';
import { parseMapping } from '../../src/domain/mapping-schema.js';

const schema = z
  .object({
    name: z.string().min(1),
    size: z.number().int().min(1).max(16),
    mode: z.enum(['fast', 'safe']),
    email: z.email().optional(),
    tags: z.array(z.string()).optional(),
    nested: z.object({ retries: z.number().int().min(0) }).strict().optional(),
  })
  .strict();
const hints = { name: { about: 'what the thing is called', example: '"demo"' }, size: { example: '4' } };

function problems(value: unknown) {
  const checked = checkInput(schema, value, { hints });
  if (checked.ok) throw new Error('expected problems');
  return checked.problems;
}
const sentences = (value: unknown) => problems(value).map(problemSentence);

describe('checkInput: zod issues as sentences', () => {
  it('says a missing field is required, what it is for and a right value', () => {
    expect(sentences({ size: 2, mode: 'fast' })).toEqual(['name is required: what the thing is called, e.g. "demo"']);
  });

  it('names the wrong type and what was sent instead', () => {
    expect(sentences({ name: 'x', size: '2', mode: 'fast' })).toEqual(['size must be a number, not text, e.g. 4']);
    expect(sentences({ name: 7, size: 2, mode: 'fast' })).toEqual(['name must be text, not a number (7), e.g. "demo"']);
  });

  it('lists the allowed values of an enum and echoes the bad one', () => {
    expect(sentences({ name: 'x', size: 2, mode: 'turbo' })).toEqual(['mode must be one of "fast", "safe" (got "turbo")']);
  });

  it('names an unknown field, suggesting the near one, also inside a nested object', () => {
    expect(sentences({ name: 'x', size: 2, mode: 'fast', szie: 3 })).toEqual(['szie is not a field here; did you mean size?']);
    expect(sentences({ name: 'x', size: 2, mode: 'fast', nested: { retries: 1, colour: 'red' } })).toEqual(['nested.colour is not a field here; the fields are retries']);
  });

  it('gives the bound of a number out of range with the value sent', () => {
    expect(sentences({ name: 'x', size: 0, mode: 'fast' })).toEqual(['size must be at least 1 (got 0), e.g. 4']);
    expect(sentences({ name: 'x', size: 99, mode: 'fast' })).toEqual(['size must be at most 16 (got 99), e.g. 4']);
    expect(sentences({ name: '', size: 1, mode: 'fast' })).toEqual(['name must not be empty, e.g. "demo"']);
  });

  it('says what format was expected without echoing the value (it may be a credential)', () => {
    const [sentence] = sentences({ name: 'x', size: 1, mode: 'fast', email: 'sk-secret-not-an-email' });
    expect(sentence).toBe('email must be an e-mail address');
  });

  it('keeps a message the schema states itself, and names the whole input when there is no field', () => {
    const own = z.object({ region: z.string().regex(/^[a-z]{3}$/, 'must be a region code such as ams') });
    expect(checkInput(own, { region: 'Amsterdam' })).toEqual({ ok: false, problems: [{ field: 'region', message: 'must be a region code such as ams' }] });
    expect(checkInput(own, 'nope', { where: 'body' })).toEqual({ ok: false, problems: [{ field: 'body', message: 'must be an object, not text' }] });
  });

  it('never reads like "name name": a message that already names its field is left as it is', () => {
    expect(problemSentence({ field: 'value', message: 'value must not be empty' })).toBe('value must not be empty');
    expect(problemSentence({ field: 'extraEnv.FOO', message: 'is too long' })).toBe('extraEnv.FOO is too long');
  });
});

describe('mapping problems in sentences (parseMapping)', () => {
  const base = { teamKey: 'WEB', owner: 'acme', repo: 'web-app', defaultBranch: 'main' };
  const sentencesOf = (input: Record<string, unknown>) => {
    const parsed = parseMapping(input, '2026-01-01T00:00:00Z');
    if (parsed.ok) throw new Error('expected problems');
    return parsed.problems.map(problemSentence);
  };

  it('a mapping without defaultBranch says what it is and an example, not zod’s "expected string, received undefined"', () => {
    const { defaultBranch: _omitted, ...rest } = base;
    const [sentence] = sentencesOf(rest);
    expect(sentence).toBe('defaultBranch is required: the branch PRs target, e.g. "main"');
    expect(sentence).not.toMatch(/received undefined|Invalid input/);
  });

  it('wrong type, bad enum, unknown field, out of range and bad format each name the field and a right value', () => {
    const all = sentencesOf({ ...base, paused: 'yes', executionMode: 'kubernetes', defaultBrnach: 'main', maxTurns: 0, awsRegion: 'Frankfurt', provider: 'bedrock' });
    expect(all).toEqual(
      expect.arrayContaining([
        'paused must be true or false, not text, e.g. false',
        'executionMode must be one of "github-actions", "fly-machines", "local" (got "kubernetes")',
        'defaultBrnach is not a field here; did you mean defaultBranch?',
        'maxTurns must be at least 1 (got 0), e.g. 50',
        'awsRegion must be an AWS region such as us-east-1',
      ]),
    );
    expect(all.join('\n')).not.toMatch(/Invalid input|expected \w+, received/);
  });
});
