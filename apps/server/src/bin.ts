import { main } from './program.js';

const listeners: (() => void)[] = [];
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => listeners.forEach((l) => l()));

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onStop: (listener) => listeners.push(listener),
});
