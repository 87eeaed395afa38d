import type { StepContext, StepModule, VerifyFailure } from '../step-types.js';
import { detectVerifyCommands, type ProjectCommand } from './detect-project.js';

/** `with.commands` (shell lines) replaces detection, for repositories whose checks are not in a manifest. */
function configuredCommands(ctx: StepContext): ProjectCommand[] | undefined {
  const raw = ctx.with.commands;
  if (!Array.isArray(raw)) return undefined;
  return raw.filter((c): c is string => typeof c === 'string').map((line) => ({ label: line, command: 'sh', args: ['-c', line] }));
}

/** Runs the checks and records every failure in the run state (replacing the previous round's). */
export async function runChecks(ctx: StepContext, commands: ProjectCommand[]): Promise<VerifyFailure[]> {
  const failures: VerifyFailure[] = [];
  for (const c of commands) {
    ctx.log.line(`$ ${c.label}`);
    const result = await ctx.exec(c.command, c.args, { env: { CI: 'true' } });
    if (result.exitCode !== 0) {
      failures.push({ command: c.label, exitCode: result.exitCode, outputTail: ctx.log.redactTail(result.output, 6 * 1024) });
    }
  }
  ctx.state.verifyFailures = failures;
  return failures;
}

export const verifyStep: StepModule = {
  title: 'Run the repository checks',
  async run(ctx) {
    const commands = configuredCommands(ctx) ?? (await detectVerifyCommands(ctx.repoDir));
    ctx.state.verifyCommands = commands.map((c) => ({ command: c.command, args: c.args, label: c.label }));
    if (commands.length === 0) return { status: 'skipped', summary: 'no tests or lint found' };
    const failures = await runChecks(ctx, commands);
    const output = { commands: commands.map((c) => c.label), failed: failures.map((f) => f.command) };
    if (failures.length > 0) return { status: 'failed', summary: `checks failed: ${failures.map((f) => f.command).join(', ')}`, output };
    return { status: 'passed', summary: `checks passed: ${commands.map((c) => c.label).join(', ')}`, output };
  },
};
