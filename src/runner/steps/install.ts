import type { StepModule } from '../step-types.js';
import { detectInstallCommands } from './detect-project.js';

/** Installs dependencies for every ecosystem the repository uses; skips when there is nothing to install. */
export const installStep: StepModule = {
  title: 'Install dependencies',
  async run(ctx) {
    const commands = await detectInstallCommands(ctx.repoDir);
    if (commands.length === 0) return { status: 'skipped', summary: 'nothing to install' };
    for (const c of commands) {
      ctx.log.line(`$ ${c.label}`);
      const result = await ctx.exec(c.command, c.args, { env: { CI: 'true' } });
      if (result.exitCode !== 0) return { status: 'failed', summary: `${c.label} failed (exit ${result.exitCode ?? 'killed'})`, output: { command: c.label } };
    }
    return { status: 'passed', output: { commands: commands.map((c) => c.label) } };
  },
};
