/**
 * The two ways to reach PostgreSQL: PGlite (PostgreSQL in WASM over a directory, no server and no
 * native build) and a real server by URL (node-postgres). Both run the same SQL.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface SqlDriver {
  readonly kind: 'embedded' | 'postgres';
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs `work` in one transaction on one connection; `exec` runs a script of several statements (a migration) in it. */
  transaction<T>(work: (query: SqlDriver['query'], exec: SqlDriver['exec']) => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Follow NOTIFY on `channel` over a connection of its own (PostgreSQL; other processes write
   * there too). `onState(false)` when the connection is lost (it is opened again), `onState(true)`
   * once it listens. Returns how to stop.
   */
  listen?(channel: string, onMessage: (payload: string) => void, onState: (listening: boolean) => void): () => Promise<void>;
  /** Close and open again (an embedded store after a failed file operation); false where that is not how it recovers. */
  reopen(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The embedded store holds tokens, tickets and sealed codes: its files are the server user's
 * alone. PGlite creates its files readable and writable by everyone (0666) whatever the umask, so
 * the modes are set here: the directory 0700 (nobody else can even look inside), every folder in
 * it 0700 and every file 0600, at open, every minute and at close. A store others can write and
 * this process cannot fix (another user's) is refused.
 */
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const SECURE_EVERY_MS = 60_000;
/** The listening connection: opened again this long after it is lost, checked this often, and given this long for its own notice to come back (and for each check). */
const LISTEN_RETRY_MS = 2_000;
const LISTEN_CHECK_MS = 30_000;
const LISTEN_PROBE_TIMEOUT_MS = 5_000;

export function securePrivateTree(directory: string): void {
  const visit = (path: string, isTop: boolean) => {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return; // removed meanwhile (a WAL segment recycled)
    }
    if (stat.isSymbolicLink()) return;
    const wanted = stat.isDirectory() ? PRIVATE_DIR : PRIVATE_FILE;
    if ((stat.mode & 0o777) !== wanted) {
      try {
        chmodSync(path, wanted);
      } catch (error) {
        if (stat.mode & 0o022 || isTop) {
          throw new Error(
            `the embedded store ${directory} can be ${stat.mode & 0o022 ? 'written' : 'read'} by other users (${path} has mode ${(stat.mode & 0o777).toString(8)}) and this process cannot change that (${(error as { code?: string }).code ?? 'error'}): run the server as the user who owns it, or give it to that user (chown) with mode 700`,
          );
        }
      }
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name), false);
  };
  visit(directory, true);
}

/** The embedded store is one process's: two writers on one directory would corrupt it. */
const LOCK_FILE = 'wecom-kf-stats.lock';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function lockDirectory(directory: string): () => void {
  const file = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', PRIVATE_FILE);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
        throw new Error(
          `the embedded store ${directory} is in use by process ${holder}; several processes need PostgreSQL (a postgres:// URL as "store")`,
        );
      }
      if (holder === process.pid) {
        throw new Error(`the embedded store ${directory} is already open in this process`);
      }
      // Left by a process that is gone: take it over.
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock the embedded store ${directory}`);
}

export async function openEmbeddedDriver(directory: string): Promise<SqlDriver> {
  mkdirSync(directory, { recursive: true, mode: PRIVATE_DIR });
  securePrivateTree(directory);
  const unlock = lockDirectory(directory);
  let db: PGlite;
  try {
    db = await PGlite.create(directory);
    securePrivateTree(directory);
  } catch (error) {
    unlock();
    throw error;
  }
  let closed = false;
  const secure = setInterval(() => {
    try {
      securePrivateTree(directory);
    } catch {
      // Reported at the next open; the directory's own mode still keeps others out.
    }
  }, SECURE_EVERY_MS);
  secure.unref();
  return {
    kind: 'embedded',
    async query<R>(sql: string, params: unknown[] = []) {
      return (await db.query<R>(sql, params)).rows;
    },
    transaction(work) {
      return db.transaction((tx) =>
        work(
          async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows,
          async (sql: string) => {
            await tx.exec(sql);
          },
        ),
      );
    },
    async exec(sql) {
      await db.exec(sql);
    },
    async reopen() {
      if (closed) return false;
      await db.close().catch(() => {});
      db = await PGlite.create(directory);
      return true;
    },
    async close() {
      closed = true;
      clearInterval(secure);
      if (!db.closed) {
        await db.close();
        try {
          securePrivateTree(directory);
        } catch {
          // As above.
        }
        unlock();
      }
    },
  };
}

export async function openPostgresDriver(url: string): Promise<SqlDriver> {
  // bigint columns hold epoch milliseconds and stat_time seconds, well inside 2^53.
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, max: 8, types });
  // An idle connection that the server drops must not crash the process.
  pool.on('error', () => {});
  await pool.query('SELECT 1');
  return {
    kind: 'postgres',
    async query<R>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as R[];
    },
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(
          async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
          // A query without parameters goes by the simple protocol, which runs a whole script.
          async (sql: string) => {
            await client.query(sql);
          },
        );
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async reopen() {
      // The pool replaces broken connections by itself.
      return false;
    },
    listen(channel, onMessage, onState) {
      let stopped = false;
      let client: pg.Client | undefined;
      let retry: NodeJS.Timeout | undefined;
      let check: NodeJS.Timeout | undefined;
      const probe = `kf-probe-${randomUUID()}`;
      const connect = async () => {
        if (stopped) return;
        const next = new pg.Client({ connectionString: url, types, keepAlive: true, query_timeout: LISTEN_PROBE_TIMEOUT_MS });
        let heardProbe: (() => void) | undefined;
        const lost = () => {
          if (client !== next) return;
          client = undefined;
          clearInterval(check);
          onState(false);
          next.end().catch(() => {});
          if (!stopped) retry = setTimeout(() => void connect(), LISTEN_RETRY_MS);
        };
        next.on('error', lost);
        next.on('end', lost);
        next.on('notification', (message) => {
          if (message.channel !== channel) return;
          if (message.payload === probe) heardProbe?.();
          else onMessage(message.payload ?? '');
        });
        client = next;
        try {
          await next.connect();
          await next.query(`LISTEN ${channel}`);
          // Listening only counts once a notice has come back on this connection (a pooler in
          // transaction mode takes LISTEN and delivers nothing).
          await new Promise<void>((resolve, reject) => {
            const late = setTimeout(() => reject(new Error('no notice came back')), LISTEN_PROBE_TIMEOUT_MS);
            heardProbe = () => {
              clearTimeout(late);
              resolve();
            };
            next.query('SELECT pg_notify($1, $2)', [channel, probe]).catch(reject);
          });
          if (client !== next || stopped) return;
          onState(true);
          // A connection that died without a word (a NAT's idle timeout) is found within a minute.
          check = setInterval(() => {
            next.query('SELECT 1').catch(lost);
          }, LISTEN_CHECK_MS);
          check.unref();
        } catch {
          lost();
        }
      };
      void connect();
      return async () => {
        stopped = true;
        clearTimeout(retry);
        clearInterval(check);
        const last = client;
        client = undefined;
        await last?.end().catch(() => {});
      };
    },
    async close() {
      await pool.end();
    },
  };
}
