/**
 * What replicas sharing one store agree on beside the ledger: who runs the
 * periodic jobs (a lease with an expiry, so a replica that dies loses it), a
 * broadcast for "something changed" (live pages served by another replica),
 * and counters that must hold across replicas (failed logins).
 *
 * The embedded store has one process: its coordination is in-process (always
 * the holder, a local bus). On PostgreSQL it is a `leases` table, LISTEN/NOTIFY
 * and a `login_failures` table.
 */
export interface Coordination {
  /** This process's name in lease rows and logs. */
  readonly replicaId: string;
  /**
   * Takes the lease `name` when nobody holds it or the holder's expired, or
   * renews it when this replica holds it; true when this replica holds it
   * for `ttlMs` from now.
   */
  acquireLease(name: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (a clean stop), so another replica takes it at its next try. */
  releaseLease(name: string): Promise<void>;
  /** Sends `payload` to every subscriber of `channel`, on every replica (this one too). Best effort. */
  publish(channel: string, payload: string): Promise<void>;
  /** Resolves the returned function to unsubscribe. */
  subscribe(channel: string, handler: (payload: string) => void): () => void;
  /** Failed-attempt times shared by the replicas; undefined when one process is all there is. */
  readonly failures: FailureLedger | undefined;
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Times of failures (epoch ms) per key, for sliding-window throttles. */
export interface FailureLedger {
  /** The times recorded under `key` after `since`, oldest first. */
  recent(key: string, since: number): Promise<number[]>;
  /** Records a failure at `at`, kept until `keepUntil` (then purged). */
  record(key: string, at: number, keepUntil: number): Promise<void>;
}

/** The one channel live pages listen to: its payload is the id of a run that changed. */
export const RUN_CHANGED_CHANNEL = 'run-changed';
