/** The longest instructions we pass on; a runner prompt has no use for more. */
export const MAX_INSTRUCTIONS_CHARS = 10_000;

const COMMAND_LINE = /^[ \t]*\/ai-implement(?=[ \t]|$)(.*)$/;

/**
 * `/ai-implement please add tests` → `please add tests`; the instructions may
 * continue on the following lines. The command has to open a line of its own
 * (a quoted `> /ai-implement` in a reply is not a new request). Undefined when
 * the comment carries no command; an empty string for a bare command.
 */
export function parseAiImplementCommand(body: string | null | undefined): string | undefined {
  if (!body) return undefined;
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const at = lines.findIndex((line) => COMMAND_LINE.test(line));
  if (at === -1) return undefined;
  const first = COMMAND_LINE.exec(lines[at] ?? '')?.[1] ?? '';
  const text = [first, ...lines.slice(at + 1)].join('\n').trim();
  return text.slice(0, MAX_INSTRUCTIONS_CHARS);
}
