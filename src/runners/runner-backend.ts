import type { Mapping } from '../domain/mapping.js';
import type { RunBackend, RunPhase } from '../domain/run.js';

/** Everything a backend needs to start one attempt of one run. */
export interface DispatchRequest {
  runId: string;
  attempt: number;
  phase: RunPhase;
  /** Ticket identifier (e.g. `ENG-42`), for upstream labels such as Fly machine metadata. */
  issueIdentifier?: string;
  mapping: Mapping;
  /** Base URL the runner calls back to (`/runner/*`). */
  orchestratorUrl: string;
  /**
   * Environment for the runner process (Fly machine, local child): run id,
   * orchestrator URL and the attempt's run tokens. GitHub Actions gets none of
   * it — workflow inputs are visible to every reader of the repository, so its
   * job exchanges an OIDC token at `/runner/token` instead.
   */
  env: Record<string, string>;
  /** The mapping's secrets from the broker, for backends that hand them over at creation (Fly, local); empty for GitHub Actions. Never put in workflow inputs. */
  secrets: Record<string, string>;
  deadlineAt: string;
  /** Shadow legs run inert: no push, no PR, no ticket writes. */
  shadow: boolean;
}

export interface UpstreamRun {
  /** GitHub workflow run id, Fly machine id, or local process key. */
  upstreamId: string;
  runId: string;
  url?: string;
  sessionImage?: string;
  state: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'unknown';
  startedAt?: string;
  mappingKey?: string;
  issueIdentifier?: string;
}

/**
 * Starts runner jobs. `dispatch` is never retried blindly: when it throws an
 * ExternalServiceError the dispatcher calls `find(runId)` to learn whether the
 * job started anyway (the run id travels in the run name / machine name).
 */
export interface RunnerBackend {
  readonly kind: RunBackend;
  dispatch(request: DispatchRequest): Promise<UpstreamRun>;
  /** The upstream job carrying this run id, if one exists. */
  find(runId: string, mapping: Mapping): Promise<UpstreamRun | undefined>;
  /** Stops the job; stopping one that already ended is not an error. */
  cancel(upstreamId: string, mapping: Mapping): Promise<void>;
  /** Live jobs this backend knows about, for the reaper and the sessions panel. */
  listLive(): Promise<UpstreamRun[]>;
  /**
   * A job this process no longer tracks (it started before a restart) and
   * that `find` does not know: stop whatever is left of it and remove its
   * files. Backends whose jobs outlive the orchestrator (Actions, Fly) find
   * them again instead and have no need of it.
   */
  abandon?(upstreamId: string, runId: string): Promise<void>;
  /**
   * Restarts a live job in place, keeping its id and environment (Fly: the
   * machine restarts; Actions: the workflow run is re-run as its next
   * attempt). Absent where a job cannot be restarted.
   */
  restart?(upstreamId: string, mapping: Mapping): Promise<void>;
  /** Removes work files no live job owns (left by a crash), at start. */
  sweep?(): Promise<void>;
}
