import { imageNotAllowedMessage, isImageAllowed } from '../domain/runner-image.js';
import { ConflictError } from '../errors/index.js';
import type { WorkflowTemplate } from '../runner/index.js';

/** What the workflow sync writes into a repository's dispatch workflows. */
export interface RunnerImageSettings {
  /** The project's runnerImage, else RUNNER_IMAGE. */
  image: string;
  /** RUNNER_IMAGE_ALLOWLIST. */
  allowlist: readonly string[];
}

/**
 * The job-level env keys a dispatch template carries with the published
 * defaults, so the file in workflow-templates/ is itself a working workflow
 * (and passes actionlint); the sync replaces their values.
 */
const RENDERED_KEYS = {
  image: 'AI_IMPLEMENT_DEFAULT_IMAGE',
  allowlist: 'AI_IMPLEMENT_ALLOWED_IMAGES',
} as const;

function keyLine(key: string): RegExp {
  return new RegExp(`^(\\s+${key}: )"[^"\\n]*"[ \\t]*$`, 'gm');
}

/**
 * Writes the runner image and the allow-list into a template that carries
 * them; any other template is returned as it is. Both values are validated
 * (image references and allow-list entries hold no quote or newline), and an
 * image off the list is refused here rather than in every job.
 */
export function renderWorkflowTemplate(template: WorkflowTemplate, settings: RunnerImageSettings): WorkflowTemplate {
  const found = Object.values(RENDERED_KEYS).map((key) => (template.content.match(keyLine(key)) ?? []).length);
  if (found.every((n) => n === 0)) return template;
  if (found.some((n) => n !== 1)) {
    throw new Error(`workflow template ${template.name} must set each of ${Object.values(RENDERED_KEYS).join(' and ')} exactly once, as KEY: "value"`);
  }
  if (!isImageAllowed(settings.image, settings.allowlist)) {
    throw new ConflictError(`The runner image ${imageNotAllowedMessage(settings.image, settings.allowlist)}`);
  }
  const content = template.content
    .replace(keyLine(RENDERED_KEYS.image), (_line, lead: string) => `${lead}${JSON.stringify(settings.image)}`)
    .replace(keyLine(RENDERED_KEYS.allowlist), (_line, lead: string) => `${lead}${JSON.stringify(settings.allowlist.join(' '))}`);
  return { ...template, content };
}
