import { runDemo } from './demo.js';
import { main } from './program.js';

// The first Ctrl+C stops the fetch and writes what arrived; a second one ends the process at once.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort(new Error('interrupted (Ctrl+C)')));

process.exitCode = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupt: interrupt.signal },
  { demo: runDemo },
);
