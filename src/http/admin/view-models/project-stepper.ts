import { AGENT_RUNTIMES, MAPPING_DEFAULTS, parseMapping, type MappingValidationProblem } from '../../../domain/mapping-schema.js';
import type { Mapping } from '../../../domain/mapping.js';
import type { JiraFieldInfo, JqlValidation } from '../../../trackers/jira/index.js';

/** The stepper's form fields, all strings as a form posts them. Carried from step to step in hidden inputs. */
export const DRAFT_FIELDS = [
  'trackerKind',
  'teamKey',
  'linearProjectFilter',
  'linearLabelFilter',
  'jql',
  'repoFieldValue',
  'owner',
  'repo',
  'defaultBranch',
  'executionMode',
  'workflowFile',
  'provider',
  'awsRegion',
  'awsRoleArn',
  'agentRuntime',
  'planningEnabled',
  'autoApprovePlans',
  'maxInProgressAiIssues',
  'maxTurns',
  'maxIterations',
  'maxJobMinutes',
  'secretName1',
  'secretValue1',
  'secretName2',
  'secretValue2',
] as const;
export type DraftField = (typeof DRAFT_FIELDS)[number];
export type Draft = Record<DraftField, string>;

export interface StepDef {
  number: number;
  key: 'tracker' | 'source' | 'repository' | 'runner' | 'provider' | 'capacity' | 'secrets' | 'review';
  title: string;
  /** Mapping fields (as parseMapping names them) whose problems belong to this step. */
  owns: (field: string) => boolean;
}

export const STEPS: readonly StepDef[] = [
  { number: 1, key: 'tracker', title: 'Ticketing system', owns: (f) => f === 'trackerKind' },
  { number: 2, key: 'source', title: 'Source', owns: (f) => f === 'teamKey' || f.startsWith('linear') || f.startsWith('jira') },
  { number: 3, key: 'repository', title: 'Repository', owns: (f) => ['owner', 'repo', 'defaultBranch'].includes(f) },
  { number: 4, key: 'runner', title: 'Runner', owns: (f) => ['executionMode', 'workflowFile', 'planningWorkflowFile', 'machine'].some((k) => f.startsWith(k)) },
  { number: 5, key: 'provider', title: 'Provider', owns: (f) => ['provider', 'awsRegion', 'awsRoleArn', 'agentRuntime', 'planningEnabled', 'autoApprovePlans'].includes(f) },
  { number: 6, key: 'capacity', title: 'Capacity', owns: (f) => f.startsWith('max') },
  { number: 7, key: 'secrets', title: 'Secrets', owns: (f) => f.startsWith('secret') || f.startsWith('extraEnv') },
  { number: 8, key: 'review', title: 'Review', owns: () => true },
];

export function emptyDraft(): Draft {
  const draft = Object.fromEntries(DRAFT_FIELDS.map((f) => [f, ''])) as Draft;
  return { ...draft, trackerKind: 'linear', executionMode: MAPPING_DEFAULTS.executionMode, provider: MAPPING_DEFAULTS.provider, agentRuntime: MAPPING_DEFAULTS.agentRuntime };
}

export function readDraft(body: unknown): Draft {
  const source = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const draft = emptyDraft();
  for (const field of DRAFT_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') draft[field] = value.slice(0, 4_096);
  }
  return draft;
}

const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;

export function draftSecrets(draft: Draft): { name: string; value: string }[] {
  return [
    { name: draft.secretName1.trim(), value: draft.secretValue1 },
    { name: draft.secretName2.trim(), value: draft.secretValue2 },
  ].filter((s) => s.name !== '' || s.value !== '');
}

/** Blank means "use the default"; anything else must be a whole number or the field is reported. */
function numberField(value: string, field: string, problems: MappingValidationProblem[]): number | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (!/^\d+$/.test(trimmed)) {
    problems.push({ field, message: 'must be a whole number (leave it blank for the default)' });
    return undefined;
  }
  return Number(trimmed);
}

/** The draft as the mapping API takes it. */
export function draftToInput(draft: Draft, problems: MappingValidationProblem[]): Record<string, unknown> {
  const opt = (v: string) => (v.trim() === '' ? undefined : v.trim());
  const jira = draft.trackerKind === 'jira';
  const input: Record<string, unknown> = {
    teamKey: draft.teamKey.trim(),
    trackerKind: draft.trackerKind,
    ...(jira
      ? { jira: { jql: draft.jql.trim(), ...(opt(draft.repoFieldValue) ? { repoFieldValue: opt(draft.repoFieldValue) } : {}) } }
      : { linear: { ...(opt(draft.linearProjectFilter) ? { projectFilter: opt(draft.linearProjectFilter) } : {}), ...(opt(draft.linearLabelFilter) ? { labelFilter: opt(draft.linearLabelFilter) } : {}) } }),
    owner: draft.owner.trim(),
    repo: draft.repo.trim(),
    defaultBranch: draft.defaultBranch.trim(),
    executionMode: draft.executionMode,
    ...(opt(draft.workflowFile) ? { workflowFile: opt(draft.workflowFile) } : {}),
    provider: draft.provider,
    ...(opt(draft.awsRegion) ? { awsRegion: opt(draft.awsRegion) } : {}),
    ...(opt(draft.awsRoleArn) ? { awsRoleArn: opt(draft.awsRoleArn) } : {}),
    agentRuntime: draft.agentRuntime,
    planningEnabled: draft.planningEnabled === 'on',
    autoApprovePlans: draft.autoApprovePlans === 'on',
  };
  for (const field of ['maxInProgressAiIssues', 'maxTurns', 'maxIterations', 'maxJobMinutes'] as const) {
    const n = numberField(draft[field], field, problems);
    if (n !== undefined) input[field] = n;
  }
  for (const secret of draftSecrets(draft)) {
    if (!SECRET_NAME.test(secret.name)) problems.push({ field: 'secretName', message: `"${secret.name || '(blank)'}" must be an UPPER_SNAKE_CASE name` });
    else if (secret.value === '') problems.push({ field: 'secretValue', message: `${secret.name} needs a value` });
  }
  return input;
}

export type DraftCheck = { ok: true; mapping: Mapping } | { ok: false; problems: MappingValidationProblem[] };

/** Validates the whole draft with the same schema as the API, plus "the key is new". */
export function checkDraft(draft: Draft, now: string, existingKeys: ReadonlySet<string>): DraftCheck {
  const problems: MappingValidationProblem[] = [];
  const input = draftToInput(draft, problems);
  const parsed = parseMapping(input, now);
  if (!parsed.ok) problems.push(...parsed.problems);
  if (existingKeys.has(draft.teamKey.trim())) problems.push({ field: 'teamKey', message: `a project with key ${draft.teamKey.trim()} already exists` });
  return problems.length === 0 && parsed.ok ? { ok: true, mapping: parsed.mapping } : { ok: false, problems };
}

/** Problems of the steps up to `step`; later steps are not filled in yet. */
export function problemsUpTo(step: number, problems: readonly MappingValidationProblem[]): MappingValidationProblem[] {
  const owned = STEPS.filter((s) => s.number <= step && s.key !== 'review');
  return problems.filter((p) => owned.some((s) => s.owns(p.field)));
}

export function firstStepWith(problems: readonly MappingValidationProblem[]): number {
  for (const s of STEPS) if (s.key !== 'review' && problems.some((p) => s.owns(p.field))) return s.number;
  return STEPS.length;
}

export interface StepperView {
  step: StepDef;
  steps: { number: number; title: string; state: 'done' | 'current' | 'todo' }[];
  draft: Draft;
  /** Fields carried as hidden inputs (everything not on the current step's form). */
  hidden: { name: string; value: string }[];
  problems: MappingValidationProblem[];
  /** Messages per form field, so the template only prints them. */
  errors: Partial<Record<DraftField, string[]>>;
  /** Problems that belong to no single field of this step. */
  generalErrors: string[];
  defaults: { maxTurns: number; maxIterations: string; maxJobMinutes: number; maxInProgressAiIssues: number };
  runtimes: readonly string[];
  review: { label: string; value: string }[];
  secretNames: string[];
  jiraAvailable: boolean;
}

const FIELDS_ON_STEP: Record<StepDef['key'], readonly DraftField[]> = {
  tracker: ['trackerKind'],
  source: ['teamKey', 'linearProjectFilter', 'linearLabelFilter', 'jql', 'repoFieldValue'],
  repository: ['owner', 'repo', 'defaultBranch'],
  runner: ['executionMode', 'workflowFile'],
  provider: ['provider', 'awsRegion', 'awsRoleArn', 'agentRuntime', 'planningEnabled', 'autoApprovePlans'],
  capacity: ['maxInProgressAiIssues', 'maxTurns', 'maxIterations', 'maxJobMinutes'],
  secrets: ['secretName1', 'secretValue1', 'secretName2', 'secretValue2'],
  review: [],
};

/** Which form field shows a schema problem (parseMapping names nested fields with dots). */
const FIELD_OF_PROBLEM: Record<string, DraftField> = {
  teamKey: 'teamKey',
  jira: 'jql',
  'jira.jql': 'jql',
  'jira.repoFieldValue': 'repoFieldValue',
  'linear.projectFilter': 'linearProjectFilter',
  'linear.labelFilter': 'linearLabelFilter',
  secretName: 'secretName1',
  secretValue: 'secretValue1',
};

function fieldOfProblem(field: string): DraftField | undefined {
  const mapped = FIELD_OF_PROBLEM[field];
  if (mapped) return mapped;
  return (DRAFT_FIELDS as readonly string[]).includes(field) ? (field as DraftField) : undefined;
}

export function buildStepperView(stepNumber: number, draft: Draft, problems: MappingValidationProblem[], jiraAvailable: boolean): StepperView {
  const step = STEPS[Math.min(Math.max(stepNumber, 1), STEPS.length) - 1] as StepDef;
  const onForm = new Set<string>(FIELDS_ON_STEP[step.key]);
  const blank = (v: string, fallback: string) => (v.trim() === '' ? `${fallback} (default)` : v.trim());
  const secretNames = draftSecrets(draft).map((s) => s.name);
  return {
    step,
    steps: STEPS.map((s) => ({ number: s.number, title: s.title, state: s.number < step.number ? 'done' : s.number === step.number ? 'current' : 'todo' })),
    draft,
    hidden: DRAFT_FIELDS.filter((f) => !onForm.has(f) && draft[f] !== '').map((f) => ({ name: f, value: draft[f] })),
    problems,
    errors: problems.reduce<Partial<Record<DraftField, string[]>>>((acc, p) => {
      const f = fieldOfProblem(p.field);
      // One message per field: an empty value also fails the format check, which would only repeat it.
      if (f && !acc[f]) acc[f] = [p.message];
      return acc;
    }, {}),
    generalErrors: problems.filter((p) => !fieldOfProblem(p.field)).map((p) => `${p.field}: ${p.message}`),
    defaults: {
      maxTurns: MAPPING_DEFAULTS.maxTurns,
      maxIterations: `${draft.provider === 'bedrock' ? MAPPING_DEFAULTS.maxIterationsBedrock : MAPPING_DEFAULTS.maxIterationsAnthropic} for ${draft.provider === 'bedrock' ? 'Bedrock' : 'Anthropic'}`,
      maxJobMinutes: MAPPING_DEFAULTS.maxJobMinutes,
      maxInProgressAiIssues: MAPPING_DEFAULTS.maxInProgressAiIssues,
    },
    runtimes: AGENT_RUNTIMES,
    review: [
      { label: 'Ticketing system', value: draft.trackerKind === 'jira' ? 'Jira' : 'Linear' },
      { label: draft.trackerKind === 'jira' ? 'Project key' : 'Linear team key', value: draft.teamKey },
      ...(draft.trackerKind === 'jira' ? [{ label: 'JQL', value: draft.jql }, { label: 'Repo-field value', value: blank(draft.repoFieldValue, `${draft.owner}/${draft.repo}`) }] : []),
      { label: 'Repository', value: `${draft.owner}/${draft.repo}` },
      { label: 'Default branch', value: draft.defaultBranch },
      { label: 'Runner', value: draft.executionMode },
      { label: 'Provider', value: `${draft.provider}${draft.awsRegion ? ` (${draft.awsRegion})` : ''}, ${draft.agentRuntime}` },
      ...(draft.awsRoleArn.trim() ? [{ label: 'AWS role (GitHub OIDC)', value: draft.awsRoleArn.trim() }] : []),
      { label: 'Planning', value: draft.planningEnabled === 'on' ? (draft.autoApprovePlans === 'on' ? 'on, plans auto-approved' : 'on, plans need approval') : 'off' },
      { label: 'Concurrency cap', value: blank(draft.maxInProgressAiIssues, String(MAPPING_DEFAULTS.maxInProgressAiIssues)) },
      { label: 'maxTurns', value: blank(draft.maxTurns, String(MAPPING_DEFAULTS.maxTurns)) },
      { label: 'maxIterations', value: blank(draft.maxIterations, draft.provider === 'bedrock' ? '2' : '3') },
      { label: 'maxJobMinutes', value: blank(draft.maxJobMinutes, String(MAPPING_DEFAULTS.maxJobMinutes)) },
      { label: 'Secrets', value: secretNames.length ? secretNames.join(', ') : 'none' },
    ],
    secretNames,
    jiraAvailable,
  };
}

/** The stepper's live JQL check shows one line: Jira's errors, or its warnings on a valid clause. */
export function describeJqlCheck(result: JqlValidation): { valid: boolean; message: string } {
  if (!result.valid) return { valid: false, message: result.errors.join('; ') || 'Jira refused this JQL.' };
  return { valid: true, message: result.warnings.length ? `Valid, with warnings: ${result.warnings.join('; ')}` : 'Valid JQL.' };
}

/** Only custom fields can hold the repository value; the stepper offers those by id and name. */
export function customFieldChoices(fields: readonly JiraFieldInfo[]): { id: string; name: string }[] {
  return fields.filter((f) => f.custom).map((f) => ({ id: f.id, name: f.name }));
}
