/**
 * A runner's `prUrl` ends up as a link on the ticket, in the panels and in the
 * API, so it must be what it claims: a pull request of the run's repository on
 * the GitHub we are configured for. Never another scheme (`javascript:`), never
 * another host, never plain http off loopback.
 */

export interface ExpectedPullRequest {
  /** The GitHub web root (`https://github.com`, the GHE host, or the emulator). */
  webUrl: string;
  /** The run's repository; unknown only when its mapping was deleted meanwhile. */
  repository?: { owner: string; repo: string };
  /** The number the runner reported alongside, when it did. */
  prNumber?: number;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
const PULL_PATH = /^\/([^/]+)\/([^/]+)\/pull\/([1-9]\d{0,9})\/?$/;

/** Why the URL is not the run's pull request, or undefined when it is. */
export function pullRequestUrlProblem(raw: string, expected: ExpectedPullRequest): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  const loopback = LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return `must be an https: URL (http: only on loopback), not ${url.protocol}`;
  if (url.username || url.password) return 'must not carry credentials';
  const web = new URL(expected.webUrl);
  if (url.host.toLowerCase() !== web.host.toLowerCase()) return `must be on the configured GitHub host ${web.host}, not ${url.host}`;
  if (url.search || url.hash) return 'must be a plain pull request URL (no query or fragment)';
  const match = PULL_PATH.exec(url.pathname);
  if (!match) return 'must be a pull request URL (/<owner>/<repo>/pull/<number>)';
  const [, owner, repo, number] = match;
  const { repository } = expected;
  if (repository && (owner!.toLowerCase() !== repository.owner.toLowerCase() || repo!.toLowerCase() !== repository.repo.toLowerCase())) {
    return `must be a pull request of ${repository.owner}/${repository.repo}, not ${owner}/${repo}`;
  }
  if (expected.prNumber !== undefined && Number(number) !== expected.prNumber) return `names pull request #${number}, but prNumber is ${expected.prNumber}`;
  return undefined;
}
