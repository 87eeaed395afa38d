import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local server the tests use: loopback only (the port can move, to try the unreachable case). */
const PORT = Number(process.env['TEST_POSTGRES_PORT'] ?? 5432);
const SERVER = `postgres://postgres@127.0.0.1:${PORT}`;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres`, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not reachable at 127.0.0.1:${PORT} (${(error as Error).message}). The PostgreSQL store tests need it: run scripts/ensure-postgres.sh (npm test does) or start the server by hand.`,
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on the local server, named `ai_implement_test_<random>`, for one test file. */
export async function createTestDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `ai_implement_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `${SERVER}/${name}`,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
