/**
 * GitHub's naming rules for accounts and repositories. Names go into API
 * paths, clone URLs and links, so anything GitHub would not hand out —
 * `.` and `..` above all, which a URL resolves as path segments — is refused
 * where it enters (mapping input, the trigger route).
 */

/** 1–39 letters, digits or single hyphens, not starting or ending with a hyphen. */
export const GITHUB_OWNER_PATTERN = /^(?=.{1,39}$)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

/** 1–100 of letters, digits, `.`, `_`, `-`; not `.` or `..`. */
export const GITHUB_REPO_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;

export const GITHUB_OWNER_RULE = 'must be a GitHub account name: 1–39 letters, digits or single hyphens, not starting or ending with a hyphen';
export const GITHUB_REPO_RULE = 'must be a GitHub repository name: 1–100 letters, digits, ".", "_" or "-", and not "." or ".."';

export function isGitHubOwner(name: string): boolean {
  return GITHUB_OWNER_PATTERN.test(name);
}

export function isGitHubRepo(name: string): boolean {
  return GITHUB_REPO_PATTERN.test(name);
}
