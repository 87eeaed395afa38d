import { describe, expect, it } from 'vitest';
import { addFilePatch, planToolCall, updateFilePatch, writeFileCommand, type OfferedTool } from '../../../src/sandbox/model-api/index.js';

const fn = (name: string, properties: Record<string, string>, required: string[] = []): OfferedTool => ({ name, kind: 'function', properties, required });
const write = { kind: 'write-file' as const, path: '/w/src/a.txt', content: "it's\n" };

describe('planToolCall', () => {
  it("uses each CLI's own write tool and argument names", () => {
    const claude = [fn('Bash', { command: 'string', description: 'string' }), fn('Write', { file_path: 'string', content: 'string' })];
    const opencode = [fn('bash', { command: 'string', description: 'string' }), fn('write', { content: 'string', filePath: 'string' })];
    const gemini = [fn('run_shell_command', { command: 'string' }), fn('write_file', { file_path: 'string', content: 'string' })];
    expect(planToolCall(write, claude)).toEqual({ ok: true, call: { tool: 'Write', kind: 'function', input: { file_path: '/w/src/a.txt', content: "it's\n" } } });
    expect(planToolCall(write, opencode)).toEqual({ ok: true, call: { tool: 'write', kind: 'function', input: { filePath: '/w/src/a.txt', content: "it's\n" } } });
    expect(planToolCall(write, gemini)).toMatchObject({ ok: true, call: { tool: 'write_file' } });
  });

  it("falls back to Codex's apply_patch, freeform or JSON", () => {
    const freeform: OfferedTool = { name: 'apply_patch', kind: 'custom', properties: {}, required: [] };
    expect(planToolCall(write, [fn('shell_command', { command: 'string' }), freeform])).toEqual({
      ok: true,
      call: { tool: 'apply_patch', kind: 'custom', input: "*** Begin Patch\n*** Add File: /w/src/a.txt\n+it's\n*** End Patch\n" },
    });
    expect(planToolCall(write, [fn('apply_patch', { input: 'string' })])).toMatchObject({ ok: true, call: { kind: 'function', input: { input: expect.stringContaining('*** Add File') } } });
  });

  it('falls back to a shell that writes the content byte for byte', () => {
    expect(planToolCall(write, [fn('exec_command', { cmd: 'string' })])).toEqual({
      ok: true,
      call: { tool: 'exec_command', kind: 'function', input: { cmd: writeFileCommand('/w/src/a.txt', "it's\n") } },
    });
    expect(writeFileCommand('/w/src/a.txt', "it's\n")).toBe(`mkdir -p '/w/src' && printf '%s' 'it'\\''s\n' > '/w/src/a.txt'`);
    expect(planToolCall({ kind: 'shell', command: 'ls' }, [fn('shell', { command: 'array' })])).toMatchObject({ call: { input: { command: ['bash', '-lc', 'ls'] } } });
  });

  it('maps edits to Edit, replace (with its instruction) or an update patch', () => {
    const edit = { kind: 'edit-file' as const, path: '/w/a.txt', oldText: 'one\n', newText: 'two\n' };
    expect(planToolCall(edit, [fn('Edit', { file_path: 'string', old_string: 'string', new_string: 'string' })])).toMatchObject({
      call: { tool: 'Edit', input: { file_path: '/w/a.txt', old_string: 'one\n', new_string: 'two\n' } },
    });
    expect(planToolCall(edit, [fn('replace', { file_path: 'string', old_string: 'string', new_string: 'string', instruction: 'string' }, ['instruction'])])).toMatchObject({
      call: { tool: 'replace', input: { instruction: 'Scripted edit.' } },
    });
    expect(updateFilePatch('/w/a.txt', 'one\n', 'two\n')).toBe('*** Begin Patch\n*** Update File: /w/a.txt\n@@\n-one\n+two\n*** End Patch\n');
    expect(addFilePatch('x', 'a\nb')).toBe('*** Begin Patch\n*** Add File: x\n+a\n+b\n*** End Patch\n');
  });

  it('explains, instead of guessing, when no offered tool fits', () => {
    expect(planToolCall(write, [fn('Read', { file_path: 'string' })])).toEqual({ ok: false, reason: 'no offered tool can write-file; offered: Read' });
    expect(planToolCall({ kind: 'edit-file', path: 'a', oldText: 'x', newText: 'y' }, [fn('bash', { command: 'string' })])).toMatchObject({ ok: false });
  });
});
