import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/config/index.js';
import { cutText, fenceCode, neutralizeMarkers, plainLabel, sanitizeAgentText, stripTerminalCodes } from '../../src/domain/sanitize-agent-text.js';

/** What OpenCode prints when it believes it writes to a terminal: bold green tick, reset, a link, a title. */
const OPENCODE_OUTPUT = [
  '\x1b]0;opencode\x07\x1b[1m\x1b[32m✓\x1b[0m done',
  '\x1b[2K\x1b[1G\x1b[90m│\x1b[39m Edited \x1b]8;;file:///repo/src/app.ts\x1b\\src/app.ts\x1b]8;;\x1b\\ (+3 -1)\r',
  'Thinking…\rThinking… 40%\rThinking… done',
  '\x1b(B\x1b=\x1b[?25hbell\x07 and nul\x00 and \x9b31mC1 red\x9b0m gone\ttab kept',
].join('\r\n');

describe('stripTerminalCodes', () => {
  it('turns ANSI-coloured OpenCode-like output into the text a reader saw', () => {
    expect(stripTerminalCodes(OPENCODE_OUTPUT)).toBe(
      ['✓ done', '│ Edited src/app.ts (+3 -1)', 'Thinking… done', 'bell and nul and C1 red gone\ttab kept'].join('\n'),
    );
  });

  it('keeps plain text, newlines and tabs as they are', () => {
    expect(stripTerminalCodes('a\n\tb\n')).toBe('a\n\tb\n');
  });

  it('drops bidirectional overrides and an unterminated OSC', () => {
    expect(stripTerminalCodes('safe\u202e txt.exe')).toBe('safe txt.exe');
    expect(stripTerminalCodes('before\x1b]8;;http://evil.example')).toBe('before');
  });
});

describe('sanitizeAgentText', () => {
  it('cleans escapes first and then redacts, so a secret split by colour codes is still found', () => {
    const secrets = new SecretRegistry();
    secrets.register('sk-ant-secret-value-123');
    const text = `\x1b[1m\x1b[32m✓\x1b[0m done with sk-ant-\x1b[31msecret-value-123\x1b[0m`;
    expect(sanitizeAgentText(text, { redact: (t) => secrets.redact(t) })).toBe('✓ done with [REDACTED]');
  });

  it('cuts a 100 KB text with a visible note of what was left out', () => {
    const text = 'x'.repeat(100 * 1024);
    const cut = sanitizeAgentText(text, { maxChars: 4_000 });
    expect(cut).toBe(`${'x'.repeat(4_000)}\n… cut: 98,400 more characters`);
  });

  it('cuts by lines, and keeps the tail of an error log when asked', () => {
    const log = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(cutText(log, { maxLines: 2 })).toBe('line 1\nline 2\n… cut: 217 more characters');
    const tail = cutText(log, { maxLines: 2, keep: 'tail' });
    expect(tail).toBe('… cut: 215 earlier characters\nline 29\nline 30');
  });

  it('never cuts an emoji in half', () => {
    const cut = cutText('ab😀cd', { maxChars: 3 });
    expect(cut.startsWith('ab\n')).toBe(true);
    expect(cutText('ab😀cd', { maxChars: 3, keep: 'tail' }).endsWith('\ncd')).toBe(true);
  });

  it('neutralises our hidden markers so agent text cannot pass for one of our comments', () => {
    const text = 'see <!-- ai-implement:run-status:run-9 --> and [AI-Implement:run-plan:x]';
    const clean = neutralizeMarkers(text);
    expect(clean).not.toContain('ai-implement:');
    expect(clean.toLowerCase()).not.toContain('ai-implement:');
    expect(clean.replace(/\u200b/g, '')).toBe(text);
    expect(sanitizeAgentText(text)).toBe(clean);
  });
});

describe('labels and code blocks', () => {
  it('keeps only the characters model ids use in a label', () => {
    expect(plainLabel('\x1b[1mclaude-sonnet-4-5[1m]\x1b[0m **bold** `x` <img>')).toBe('claude-sonnet-4-5[1m] bold x img');
    expect(plainLabel('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  it('fences text so Markdown stays inert, breaking up backtick fences inside', () => {
    expect(fenceCode('![x](http://t.example/p.png)')).toBe('```\n![x](http://t.example/p.png)\n```');
    expect(fenceCode('a\n```\nb')).toBe('```\na\n`\u200b`\u200b`\nb\n```');
  });
});
