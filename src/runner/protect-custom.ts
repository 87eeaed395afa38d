/**
 * custom/ belongs to operators; upstream pull requests may touch only its
 * README and .gitkeep placeholders. The protect-custom workflow runs this on a
 * PR's changed paths (`git diff --name-only --no-renames`).
 */
const ALLOWED_IN_CUSTOM = /^custom\/(README\.md|(.+\/)?\.gitkeep)$/;

export function disallowedCustomChanges(paths: readonly string[]): string[] {
  return paths
    .map((p) => p.trim().replace(/^\.\//, ''))
    .filter((p) => p.startsWith('custom/') && !ALLOWED_IN_CUSTOM.test(p));
}
