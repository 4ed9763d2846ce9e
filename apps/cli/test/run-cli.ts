import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedClockEnv } from '@wecom-kf-stats/test-utils';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'wecom-kf-stats.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the installed command as a child process with only the given variables (plus PATH), on the
 * test's pinned clock.
 */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...pinnedClockEnv(), ...env }, cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Run the command on a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY. */
export function runCliOnTerminal(args: string[], env: Record<string, string>): Promise<CliRun> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', quoted, '/dev/null'],
      { env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...pinnedClockEnv(), ...env }, timeout: 60_000 },
      (error, stdout) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr: '' });
      },
    );
  });
}
