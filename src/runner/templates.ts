import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface WorkflowTemplate {
  /** File name, e.g. `claude-implement.yml`. */
  name: string;
  path: string;
  /** From the `ai-implement-template-version: N` marker line; 0 when missing. */
  version: number;
  content: string;
  /** Where the file goes in a target repository. */
  targetPath: string;
}

export const TEMPLATE_VERSION_PATTERN = /ai-implement-template-version:\s*(\d+)/;

export function templateVersion(content: string): number {
  const match = TEMPLATE_VERSION_PATTERN.exec(content);
  return match ? Number.parseInt(match[1]!, 10) : 0;
}

/** Workflows live under .github/workflows/; the guidance files sit at the repository root. */
function targetPathFor(name: string): string {
  return /\.ya?ml$/.test(name) ? `.github/workflows/${name}` : name;
}

/** Reads every template under `<projectRoot>/workflow-templates`, for the workflow sync to compare versions. */
export async function readWorkflowTemplates(projectRoot: string): Promise<WorkflowTemplate[]> {
  const dir = join(projectRoot, 'workflow-templates');
  const names = (await readdir(dir)).filter((n) => /\.(ya?ml|md)$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const content = await readFile(path, 'utf8');
      return { name, path, version: templateVersion(content), content, targetPath: targetPathFor(name) };
    }),
  );
}
