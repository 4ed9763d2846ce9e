import { execFile } from 'node:child_process';
import { spawnProcess, type ProcessRun, type SpawnedProcess } from '@wecom-kf-stats/test-utils/server';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'wecom-kf-stats-server.js');

export type Run = ProcessRun;

/** Run the installed command to its end, with only the given variables (plus PATH). */
export function runServer(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

export type Spawned = SpawnedProcess;

/** The server's command as a child process (test-utils' spawnProcess on this package's bin). */
export function spawnServer(args: string[], env: Record<string, string> = {}): Spawned {
  return spawnProcess(BIN, args, env);
}
