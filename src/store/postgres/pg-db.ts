import pg from 'pg';
import { ConflictError, ExternalServiceError } from '../../errors/index.js';

/** What a repository runs its SQL on: the pool, or one transaction's client. */
export interface Sql {
  query<R extends object = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>;
}

/** Thrown inside a transaction to roll it back and still answer `value` (e.g. "already claimed"). */
class Abort<T> {
  constructor(readonly value: T) {}
}

/** Rolls the current transaction back; `transaction()` then resolves with `value`. */
export function abortWith<T>(value: T): never {
  throw new Abort(value);
}

/** SQLSTATEs worth running the whole transaction again for. */
const RETRY_TRANSACTION = new Set(['40001', '40P01']);
/** The server went away or refused us: another try later may work. */
const UNAVAILABLE = /^(08|53|57P0)/;
const NODE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Converts what `pg` throws into the project's errors, once, here: a unique
 * violation is a conflict on stored state; a lost or refused connection is a
 * retryable outage of the `postgres` service; any other database error is a
 * non-retryable one. Our own errors (thrown by repository code inside a
 * transaction) pass through unchanged.
 */
export function convertPgError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof ExternalServiceError) return error;
  const code = codeOf(error);
  if (error instanceof pg.DatabaseError) {
    if (code === '23505') return new ConflictError(`duplicate key (${error.constraint ?? 'unique constraint'})`);
    return new ExternalServiceError(`PostgreSQL error ${code ?? '?'}: ${error.message}`, { service: 'postgres', retryable: UNAVAILABLE.test(code ?? ''), cause: error });
  }
  // pg gives a dropped or timed-out connection no code, only this message: the one place we read text.
  if ((code && NODE_NETWORK.has(code)) || /^Connection terminated/.test(error.message)) {
    return new ExternalServiceError(`PostgreSQL unreachable: ${error.message}`, { service: 'postgres', retryable: true, cause: error });
  }
  return error;
}

/**
 * The pool, with the two things every repository needs: single statements
 * and retried transactions, both with errors converted. It counts calls in
 * flight so `drain()` can wait for them before the pool ends (a pool that is
 * ending never serves a call still waiting for a connection).
 */
export class Db implements Sql {
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(readonly pool: pg.Pool) {}

  async query<R extends object = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    return this.track(async () => {
      try {
        const result = await this.pool.query<R>(text, values as unknown[] | undefined);
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      } catch (error) {
        throw convertPgError(error);
      }
    });
  }

  /**
   * Runs `work` in one READ COMMITTED transaction, again from the start on a
   * serialization failure or deadlock. `abortWith(value)` inside rolls back
   * and answers `value`.
   */
  async transaction<T>(work: (tx: Sql) => Promise<T>, attempts = 5): Promise<T> {
    return this.track(async () => {
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient;
        try {
          client = await this.pool.connect();
        } catch (error) {
          throw convertPgError(error);
        }
        const tx: Sql = {
          query: async <R extends object>(text: string, values?: readonly unknown[]) => {
            const result = await client.query<R>(text, values as unknown[] | undefined);
            return { rows: result.rows, rowCount: result.rowCount ?? 0 };
          },
        };
        let broken: Error | undefined;
        try {
          await client.query('BEGIN');
          const value = await work(tx);
          await client.query('COMMIT');
          return value;
        } catch (error) {
          // A failed ROLLBACK means the connection itself is gone: it must not go back to the pool.
          await client.query('ROLLBACK').catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
          if (error instanceof Abort) return error.value as T;
          if (RETRY_TRANSACTION.has(codeOf(error) ?? '') && attempt < attempts) continue;
          throw convertPgError(error);
        } finally {
          client.release(broken);
        }
      }
    });
  }

  /** Resolves once no call is in flight. */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async track<T>(call: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await call();
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
