// A throwaway database on the machine's PostgreSQL (127.0.0.1:5432, trust auth) per test. Without
// PostgreSQL the test skips, except under CI, where it fails.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

const ADMIN_URLS = [process.env.BANYAN_TEST_PG_URL, 'postgres://postgres@127.0.0.1:5432/postgres', 'postgres://root@127.0.0.1:5432/postgres'].filter(
  (u): u is string => Boolean(u),
);

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function adminUrl(): Promise<string | null> {
  for (const url of ADMIN_URLS) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.end();
      return url;
    } catch {
      await c.end().catch(() => undefined);
    }
  }
  return null;
}

/** null when PostgreSQL is unreachable outside CI; throws under CI. */
export async function createTestDatabase(): Promise<TestDatabase | null> {
  const admin = await adminUrl();
  if (!admin) {
    if (process.env.CI) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432 (users postgres, root); CI must provide it');
    return null;
  }
  const name = `banyan_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
