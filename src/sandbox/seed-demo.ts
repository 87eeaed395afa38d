import { createHash } from 'node:crypto';
import type { Mapping } from '../domain/mapping.js';
import type { Run } from '../domain/run.js';
import type { Store } from '../store/store.js';
import type { SandboxEmulators } from './start-sandbox.js';
import { SANDBOX_USER } from './github/github-pages.js';

/** The demo organisation that sandbox mode shows to a new user. */
export const DEMO_OWNER = 'demo-org';
export const DEMO_REPO = 'demo-app';
export const DEMO_LINEAR_TEAM = 'DEMO';
export const DEMO_JIRA_PROJECT = 'OPS';
export const DEMO_FLY_APP = 'ai-implement-sessions';
export const AI_IMPLEMENT_LABEL = 'AI-Implement';

export const DEMO_LINEAR_TICKETS = [
  { title: 'Add a /health endpoint to the demo server', description: 'Return `{ "status": "ok" }` with HTTP 200 so the load balancer can check the app.' },
  { title: 'Document how to run the demo app locally', description: 'The README should list the install and start commands.' },
  { title: 'Greet the user by name on the home page', description: 'Read the `name` query parameter and fall back to "world".' },
];

export const DEMO_JIRA_TICKETS = [{ summary: 'Log every request with its duration', description: 'One line per request: method, path, status and milliseconds.' }];

export const DEMO_FILES: Record<string, string> = {
  'README.md': '# demo-app\n\nA tiny service used by the AI-Implement sandbox.\n',
  'package.json': `${JSON.stringify({ name: 'demo-app', version: '1.0.0', type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`,
  'src/server.js': "import { createServer } from 'node:http';\n\ncreateServer((req, res) => res.end('hello world')).listen(8080);\n",
};

/** Seeds the emulators: one repository with an installation, a Linear team and a Jira project (the tickets come with the store, see seedDemoTickets). */
export function seedDemoEmulators({ github, linear, jira }: SandboxEmulators): void {
  github.state.addRepo({ owner: DEMO_OWNER, name: DEMO_REPO, defaultBranch: 'main', files: DEMO_FILES });
  github.state.addWorkflow(DEMO_OWNER, DEMO_REPO, {
    file: 'claude-implement.yml',
    name: 'AI-Implement',
    runName: 'AI-Implement ${{ inputs.run_id }}',
    inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
  });
  // The person using the sandbox's pages may write: their /ai-implement comments and reviews are heard.
  github.state.setPermission(DEMO_OWNER, DEMO_REPO, SANDBOX_USER, 'write');
  linear.store.addTeam({ key: DEMO_LINEAR_TEAM, name: 'Demo' });
  linear.store.addLabel({ name: AI_IMPLEMENT_LABEL, team: null, color: '#5e6ad2' });
  jira.store.addProject(DEMO_JIRA_PROJECT, 'Operations');
}

/**
 * A demo Linear ticket's id, the same on every start. The emulators live in
 * memory and are seeded afresh each start while the store persists: with a
 * random id the store's runs and dedup rows would name tickets that no longer
 * exist, and the reseeded ones would look new and run again.
 */
export function demoLinearIssueId(identifier: string): string {
  const hex = createHash('sha256').update(`ai-implement-sandbox:${identifier}`).digest('hex');
  // Shaped as a version-4 UUID, as Linear's own ids are.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Adds the demo tickets, each as the store's newest run for it left it: a
 * ticket whose run opened a PR is seeded in review (the state and marker the
 * run's ticket writes gave it), so a restart shows what the last start did
 * and does not offer the ticket for work again. The names are those the
 * tracker adapters write (Linear's "AI-PR-Ready" label and "In Review" state,
 * Jira's "PR Ready" status value).
 */
export async function seedDemoTickets({ linear, jira }: SandboxEmulators, store: Store): Promise<void> {
  const done = async (mappingKey: string) => {
    const runs = (await store.runs.listRuns({ mappingKey, limit: 500 })).items.filter((run) => !run.shadowOf);
    const newest = new Map<string, Run>();
    for (const run of runs) if (!newest.has(run.identifier)) newest.set(run.identifier, run);
    return (identifier: string) => {
      const run = newest.get(identifier);
      return run?.status === 'pr_opened' && run.prUrl !== undefined;
    };
  };

  const linearDone = await done(DEMO_LINEAR_TEAM);
  DEMO_LINEAR_TICKETS.forEach((ticket, index) => {
    const identifier = `${DEMO_LINEAR_TEAM}-${index + 1}`;
    const inReview = linearDone(identifier);
    linear.store.addIssue({
      id: demoLinearIssueId(identifier),
      team: DEMO_LINEAR_TEAM,
      title: ticket.title,
      description: ticket.description,
      labels: inReview ? [AI_IMPLEMENT_LABEL, 'AI-PR-Ready'] : [AI_IMPLEMENT_LABEL],
      state: inReview ? 'In Review' : 'Todo',
    });
  });

  const jiraDone = await done(DEMO_JIRA_PROJECT);
  DEMO_JIRA_TICKETS.forEach((ticket, index) => {
    const identifier = `${DEMO_JIRA_PROJECT}-${index + 1}`;
    jira.store.addIssue({
      project: DEMO_JIRA_PROJECT,
      summary: ticket.summary,
      description: ticket.description,
      custom: { 'AI-Implement Status': jiraDone(identifier) ? 'PR Ready' : 'Ready', 'AI-Implement Repo': `${DEMO_OWNER}/${DEMO_REPO}` },
    });
  });
}

/** The demo projects; defaults are those an operator gets from the Projects stepper. */
export function demoMappings(now: string): Mapping[] {
  const common = {
    owner: DEMO_OWNER,
    repo: DEMO_REPO,
    defaultBranch: 'main',
    executionMode: 'local',
    agentRuntime: 'demo',
    provider: 'anthropic',
    maxInProgressAiIssues: 3,
    maxTurns: 50,
    maxIterations: 3,
    maxJobMinutes: 90,
    planningEnabled: false,
    autoApprovePlans: false,
    paused: false,
    extraEnv: {},
    createdAt: now,
    updatedAt: now,
  } as const;
  return [
    { ...common, extraEnv: {}, teamKey: DEMO_LINEAR_TEAM, trackerKind: 'linear', linear: { teamKey: DEMO_LINEAR_TEAM } },
    { ...common, extraEnv: {}, teamKey: DEMO_JIRA_PROJECT, trackerKind: 'jira', jira: { jql: `project = ${DEMO_JIRA_PROJECT}`, repoFieldValue: `${DEMO_OWNER}/${DEMO_REPO}` } },
  ];
}

/** Adds the demo projects unless a project with the same key exists (an operator's edits survive restarts). */
export async function seedDemoStore(store: Store, clock: () => number): Promise<void> {
  const now = new Date(clock()).toISOString();
  for (const mapping of demoMappings(now)) {
    if (!(await store.mappings.get(mapping.teamKey))) await store.mappings.upsert(mapping);
  }
}
