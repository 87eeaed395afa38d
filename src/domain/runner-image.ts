/**
 * Runner image references and the allow-list they are checked against.
 *
 * The same rules run in two places: here, where the orchestrator accepts an
 * image (RUNNER_IMAGE, a project's runnerImage, a Fly dispatch), and in the
 * shell step of the workflow templates, where a GitHub Actions job checks the
 * image before `docker run`. The grammar is deliberately narrower than
 * Docker's: the registry must be named (no implicit docker.io), names are
 * lowercase, and a digest is sha256. Keep `IMAGE_REFERENCE_PATTERN` in step
 * with the `pattern=` line of workflow-templates/claude-*.yml (a test runs
 * both over the same cases).
 */

/** `registry[:port]/path[/path…][:tag][@sha256:<64 hex>]`, lowercase registry and path. */
export const IMAGE_REFERENCE_PATTERN =
  /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

export const IMAGE_REFERENCE_RULE =
  'must be a full image reference that names its registry, such as ghcr.io/acme/runner:1.2.0 or ghcr.io/acme/runner@sha256:<64 hex digits> (lowercase registry and path)';

/** One allow-list entry: a repository (`ghcr.io/acme/runner`) or, ending in `/`, everything under a namespace (`registry.fly.io/`). */
const ALLOWLIST_ENTRY_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*\/?$/;

/** The registry part must look like a host (a dot, a port, or localhost); otherwise Docker would read it as a Docker Hub user. */
function namesRegistry(reference: string): boolean {
  const first = reference.split('/', 1)[0]!;
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

export function isImageReference(value: string): boolean {
  return value.length <= 512 && IMAGE_REFERENCE_PATTERN.test(value) && namesRegistry(value);
}

/** `ghcr.io/acme/runner:1.2@sha256:…` → `ghcr.io/acme/runner`. */
export function imageRepository(reference: string): string {
  const name = reference.split('@', 1)[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
}

export interface AllowlistParse {
  entries: string[];
  invalid: string[];
}

/** Splits on commas and white space; entries are repositories, or namespaces ending in `/`. */
export function parseImageAllowlist(text: string): AllowlistParse {
  const entries: string[] = [];
  const invalid: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    if (entry.includes('/') && ALLOWLIST_ENTRY_PATTERN.test(entry) && namesRegistry(entry)) entries.push(entry);
    else invalid.push(entry);
  }
  return { entries, invalid };
}

/** True when the image's repository is an entry, or lies under an entry ending in `/`. */
export function isImageAllowed(reference: string, allowlist: readonly string[]): boolean {
  if (!isImageReference(reference)) return false;
  const repository = imageRepository(reference);
  return allowlist.some((entry) => (entry.endsWith('/') ? repository.startsWith(entry) : repository === entry));
}

/** The operator-facing sentence for an image the allow-list refuses, naming the fix. */
export function imageNotAllowedMessage(reference: string, allowlist: readonly string[]): string {
  return `${reference} is not allowed by RUNNER_IMAGE_ALLOWLIST (${allowlist.join(' ')}); add ${imageRepository(reference)} (or its namespace ending in "/") to RUNNER_IMAGE_ALLOWLIST, or use an allowed image`;
}

/** The image a project asked for itself (`runnerImage`, or its older spelling `machine.image`), if any. */
export function projectRunnerImage(mapping: { runnerImage?: string; machine?: { image?: string } }): string | undefined {
  return mapping.runnerImage ?? mapping.machine?.image;
}
