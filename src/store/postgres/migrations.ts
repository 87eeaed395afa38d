/**
 * The schema, as numbered migrations. A migration is never edited once
 * released: a change is a new entry at the end. `migrate-schema.ts` applies
 * the missing ones in order, in one transaction, under an advisory lock.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The statuses of a live run. Repeated in the unique index of migration 4
 * (migration 1 had the names before issue 19) and used as the `ON CONFLICT … WHERE` of a claim, which PostgreSQL matches
 * to that index only if it implies the index's predicate; a test checks it
 * against `ACTIVE_RUN_STATUSES`.
 */
export const LIVE_RUN = `status IN ('queued', 'claimed', 'launching', 'running', 'retrying')`;

/**
 * A queued or retrying run that is due ($1: now), as the dispatch queue takes it: its
 * retry time, else its last write, has passed. `run->>'retryAt'` is the ISO
 * time the run document carries.
 */
export const DUE_IN_QUEUE = `status IN ('queued', 'retrying') AND coalesce((run->>'retryAt')::timestamptz, updated_at) <= $1::timestamptz`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'one table per aggregate',
    sql: `
CREATE TABLE mappings (
  team_key text COLLATE "C" PRIMARY KEY,
  mapping jsonb NOT NULL
);

-- The run document is kept whole in "run"; the columns beside it are copies
-- of the fields the store filters, sorts and constrains on.
CREATE TABLE runs (
  id text COLLATE "C" PRIMARY KEY,
  issue_id text NOT NULL,
  phase text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'dispatching', 'dispatched', 'running', 'succeeded', 'failed', 'cancelled')),
  attempt integer NOT NULL,
  mapping_key text NOT NULL,
  backend text NOT NULL,
  runner_mode text NOT NULL,
  trigger_source text NOT NULL,
  shadow_of text,
  is_shadow boolean GENERATED ALWAYS AS (shadow_of IS NOT NULL) STORED,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  run jsonb NOT NULL
);
-- Exactly one live run per ticket and phase (a shadow leg has its own slot).
CREATE UNIQUE INDEX runs_one_live_per_ticket_phase ON runs (issue_id, phase, is_shadow)
  WHERE status IN ('queued', 'dispatching', 'dispatched', 'running');
CREATE INDEX runs_by_created ON runs (created_at, id);
CREATE INDEX runs_live_by_created ON runs (created_at, id)
  WHERE status IN ('queued', 'dispatching', 'dispatched', 'running');
CREATE INDEX runs_by_issue ON runs (issue_id, created_at, id);
CREATE INDEX runs_by_mapping ON runs (mapping_key, created_at, id);
CREATE INDEX runs_by_status ON runs (status, created_at, id);
CREATE INDEX runs_failed_by_finish ON runs ((coalesce(finished_at, updated_at))) WHERE status = 'failed';

CREATE TABLE run_steps (
  run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_id text COLLATE "C" NOT NULL,
  -- Insertion order, which listSteps keeps.
  seq bigserial NOT NULL,
  step jsonb NOT NULL,
  PRIMARY KEY (run_id, step_id)
);

-- Caller idempotency keys of claimTicket (e.g. gap-fill:<comment id>).
CREATE TABLE claim_keys (
  key text PRIMARY KEY,
  run_id text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX claim_keys_by_expiry ON claim_keys (expires_at);

CREATE TABLE dedup (
  issue_id text PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  entry jsonb NOT NULL
);
CREATE INDEX dedup_by_expiry ON dedup (expires_at);

-- Payloads are the webhook bodies as received (not our shape), dropped at completion.
CREATE TABLE inbox (
  id text COLLATE "C" PRIMARY KEY,
  source text NOT NULL,
  event text NOT NULL,
  received_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'leased', 'completed', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  lease_until timestamptz,
  retry_at timestamptz,
  completed_at timestamptz,
  last_error text,
  payload bytea
);
CREATE INDEX inbox_unsettled_in_lease_order ON inbox (received_at, id) WHERE status IN ('pending', 'leased');
CREATE INDEX inbox_settled_by_completion ON inbox (completed_at) WHERE status IN ('completed', 'dead');

-- Runner token jtis and webhook replay keys: one-time keys until they expire.
CREATE TABLE one_time_keys (
  key text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX one_time_keys_by_expiry ON one_time_keys (expires_at);

CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

-- Only the hash of a session's bearer token.
CREATE TABLE admin_sessions (
  id text PRIMARY KEY,
  token_hash text NOT NULL,
  code_fingerprint text NOT NULL,
  expires_at timestamptz NOT NULL,
  session jsonb NOT NULL
);
CREATE INDEX admin_sessions_by_token_hash ON admin_sessions (token_hash);

-- Sealed values only (AES-256-GCM by the secrets broker); never a value in clear.
CREATE TABLE secrets (
  id text COLLATE "C" PRIMARY KEY,
  key_id text NOT NULL,
  secret jsonb NOT NULL
);

CREATE TABLE audit_events (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  event jsonb NOT NULL
);
CREATE INDEX audit_events_by_actor ON audit_events (actor, seq);
CREATE INDEX audit_events_by_action ON audit_events (action, seq);

CREATE TABLE reaper_actions (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  rule text NOT NULL,
  mode text NOT NULL,
  action jsonb NOT NULL
);
CREATE INDEX reaper_actions_by_at ON reaper_actions (at);
`,
  },
  {
    version: 2,
    name: 'deleted runs',
    sql: `
-- An operator's DELETE of a finished run: the row and its steps go, the id stays
-- here so it is never handed out again (a retry or a request key may name it).
CREATE TABLE deleted_runs (
  id text COLLATE "C" PRIMARY KEY,
  deleted_at timestamptz NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'replica coordination',
    sql: `
-- Who runs the periodic jobs (poller, reaper, recovery): taken when expired, renewed by its holder.
CREATE TABLE leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Failed logins per client address, so the throttle holds whichever replica a try reaches.
CREATE TABLE login_failures (
  key text NOT NULL,
  at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
CREATE INDEX login_failures_by_expiry ON login_failures (expires_at);
`,
  },
  {
    version: 4,
    name: 'run lifecycle names',
    sql: `
-- Issue 19 renamed the run statuses and trigger sources. Rows are rewritten in
-- both the column and the run document, then the CHECK and the live-run
-- predicates take the new names. A success with a pull request is now
-- pr_opened; "succeeded" stays for a finished run without one (a plan).
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_status_check;
DROP INDEX IF EXISTS runs_one_live_per_ticket_phase;
DROP INDEX IF EXISTS runs_live_by_created;

UPDATE runs SET status = CASE status
    WHEN 'dispatching' THEN 'claimed'
    WHEN 'dispatched' THEN 'launching'
    WHEN 'succeeded' THEN CASE WHEN phase <> 'plan' AND run ? 'prUrl' THEN 'pr_opened' ELSE 'succeeded' END
    ELSE status END
  WHERE status IN ('dispatching', 'dispatched', 'succeeded');
UPDATE runs SET trigger_source = CASE trigger_source
    WHEN 'webhook' THEN CASE WHEN run->>'tracker' = 'jira' THEN 'jira-webhook' ELSE 'linear-webhook' END
    WHEN 'comment' THEN 'pr-comment'
    WHEN 'trigger' THEN 'gap-fill-trigger'
    ELSE trigger_source END
  WHERE trigger_source IN ('webhook', 'comment', 'trigger');
UPDATE runs SET run = run || jsonb_build_object('status', status, 'triggerSource', trigger_source)
  WHERE run->>'status' IS DISTINCT FROM status OR run->>'triggerSource' IS DISTINCT FROM trigger_source;

ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN
  ('queued', 'claimed', 'launching', 'running', 'retrying', 'pr_opened', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'));
CREATE UNIQUE INDEX runs_one_live_per_ticket_phase ON runs (issue_id, phase, is_shadow)
  WHERE status IN ('queued', 'claimed', 'launching', 'running', 'retrying');
CREATE INDEX runs_live_by_created ON runs (created_at, id)
  WHERE status IN ('queued', 'claimed', 'launching', 'running', 'retrying');
`,
  },
  {
    version: 5,
    name: 'schedules',
    sql: `
-- Scheduled runs; next_run_at mirrors the document's for the ticker's due check.
CREATE TABLE schedules (
  id text COLLATE "C" PRIMARY KEY,
  next_run_at timestamptz,
  created_at timestamptz NOT NULL,
  schedule jsonb NOT NULL
);
CREATE INDEX schedules_by_next_run ON schedules (next_run_at);
`,
  },
  {
    version: 6,
    name: 'run owner and agent runtime',
    sql: `
-- The run list filters by owner and by agent runtime like it does by status or project:
-- copies of run->>'owner' and run->'agent'->>'runtime', kept by every write (pg-run-rows.ts).
ALTER TABLE runs ADD COLUMN owner text, ADD COLUMN runtime text;
UPDATE runs SET owner = run->>'owner', runtime = run->'agent'->>'runtime';
CREATE INDEX runs_by_owner ON runs (owner, created_at, id);
CREATE INDEX runs_by_runtime ON runs (runtime, created_at, id);
`,
  },
];
