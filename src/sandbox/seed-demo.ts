import type { Mapping } from '../domain/mapping.js';
import type { Store } from '../store/store.js';
import type { SandboxEmulators } from './start-sandbox.js';

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

/** Seeds the emulators: one repository with an installation, a Linear team and a Jira project with tickets. */
export function seedDemoEmulators({ github, linear, jira }: SandboxEmulators): void {
  github.state.addRepo({ owner: DEMO_OWNER, name: DEMO_REPO, defaultBranch: 'main', files: DEMO_FILES });
  github.state.addWorkflow(DEMO_OWNER, DEMO_REPO, {
    file: 'claude-implement.yml',
    name: 'AI-Implement',
    runName: 'AI-Implement ${{ inputs.run_id }}',
    inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
  });

  linear.store.addTeam({ key: DEMO_LINEAR_TEAM, name: 'Demo' });
  linear.store.addLabel({ name: AI_IMPLEMENT_LABEL, team: null, color: '#5e6ad2' });
  for (const ticket of DEMO_LINEAR_TICKETS) {
    linear.store.addIssue({ team: DEMO_LINEAR_TEAM, title: ticket.title, description: ticket.description, labels: [AI_IMPLEMENT_LABEL], state: 'Todo' });
  }

  jira.store.addProject(DEMO_JIRA_PROJECT, 'Operations');
  for (const ticket of DEMO_JIRA_TICKETS) {
    jira.store.addIssue({
      project: DEMO_JIRA_PROJECT,
      summary: ticket.summary,
      description: ticket.description,
      custom: { 'AI-Implement Status': 'Ready', 'AI-Implement Repo': `${DEMO_OWNER}/${DEMO_REPO}` },
    });
  }
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
