import { Probot, ProbotOctokit } from 'probot';

/** A real Probot pointed at an emulator, with retries and throttling off so faults surface at once. */
export function createTestProbot(options: { appId: number; privateKey: string; baseUrl: string }): Probot {
  return new Probot({
    appId: options.appId,
    privateKey: options.privateKey,
    baseUrl: options.baseUrl,
    logLevel: 'fatal',
    Octokit: ProbotOctokit.defaults((instanceOptions: Record<string, unknown>) => ({
      ...instanceOptions,
      throttle: { enabled: false },
      retry: { enabled: false },
    })),
  });
}

/** Keeps @octokit/rest's request log off the test output. */
export const silentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
