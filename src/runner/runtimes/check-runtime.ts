import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { AgentRefusal, completeCredentialSet, type AgentInvocation } from './agent-runtime.js';
import type { RuntimeSpec } from './runtime-table.js';

/**
 * Refuses, before anything is spawned, a run that could only fail: the CLI is
 * not on PATH, the mapping's provider is one the runtime cannot use, or no
 * complete set of credentials is in the agent's environment. Each message
 * says what is missing and how to fix it (the ticket shows it as it is).
 */
export async function checkRuntime(spec: RuntimeSpec, invocation: AgentInvocation): Promise<void> {
  const providers = spec.providers.map((p) => p.provider);
  const provider = spec.providers.find((p) => p.provider === invocation.provider);
  if (!provider) {
    throw new AgentRefusal(`${spec.id} cannot use the provider "${invocation.provider}"; it works with ${providers.join(', ')}. Set the project's provider to one of them, or pick another agent runtime.`);
  }
  if (spec.binary && !(await onPath(spec.binary, invocation.env.PATH ?? ''))) {
    throw new AgentRefusal(
      `${spec.id} is not installed on this runner: no \`${spec.binary}\` on PATH. Use the published runner image, or install the pinned agent CLIs with \`npm run agents:install\`${spec.npmPackage ? ` (package ${spec.npmPackage})` : ''}.`,
    );
  }
  if (!completeCredentialSet(invocation.env, provider.credentials)) {
    const sets = provider.credentials.map((set) => set.join(' + ')).join(', or ');
    throw new AgentRefusal(`${spec.id} on ${provider.provider} has no credentials: set ${sets} as a secret of the project (or of all projects). It needs ${provider.how}.`);
  }
}

async function onPath(binary: string, path: string): Promise<boolean> {
  return (await findOnPath(binary, path)) !== undefined;
}

/** The directory on PATH that holds an executable `binary`, as a shell would find it. */
export async function findOnPath(binary: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, binary), constants.X_OK);
      return dir;
    } catch {
      // Not in this directory; look in the next.
    }
  }
  return undefined;
}
