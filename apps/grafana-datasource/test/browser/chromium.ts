/**
 * Which Chromium the browser tests drive, so that `pnpm test` runs them on any machine:
 * 1. CHROMIUM_PATH, when set (it must exist);
 * 2. the Chromium inside the `@sparticuz/chromium` npm package (a dev dependency: no apt, no download
 *    at test time; unpacked to the temp folder on first use);
 * 3. the system's /usr/bin/chromium (Debian's `chromium` package).
 * No browser is an error, unless KF_STATS_SKIP_BROWSER_TESTS=1 says to skip the browser tests.
 */
import { existsSync } from 'node:fs';

export const SKIP_VARIABLE = 'KF_STATS_SKIP_BROWSER_TESTS';
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export type ChromiumChoice = { skip: true } | { skip: false; executablePath: string; source: string };

export interface ChromiumSources {
  env?: Record<string, string | undefined>;
  /** Path of the npm package's Chromium (unpacks it); rejects when the package cannot provide one. */
  packageChromium?: () => Promise<string>;
  systemPath?: string;
  exists?: (path: string) => boolean;
}

async function sparticuzChromium(): Promise<string> {
  const { default: chromium } = await import('@sparticuz/chromium');
  return chromium.executablePath();
}

export function skipBrowserTests(env: Record<string, string | undefined> = process.env): boolean {
  return env[SKIP_VARIABLE] === '1';
}

export async function chooseChromium(sources: ChromiumSources = {}): Promise<ChromiumChoice> {
  const env = sources.env ?? process.env;
  const exists = sources.exists ?? existsSync;
  if (skipBrowserTests(env)) return { skip: true };
  const tried: string[] = [];

  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    if (exists(explicit)) return { skip: false, executablePath: explicit, source: 'CHROMIUM_PATH' };
    throw new Error(`CHROMIUM_PATH=${explicit} does not exist`);
  }

  try {
    const path = await (sources.packageChromium ?? sparticuzChromium)();
    if (path && exists(path)) return { skip: false, executablePath: path, source: '@sparticuz/chromium' };
    tried.push(`@sparticuz/chromium gave ${path || 'no path'}`);
  } catch (error) {
    tried.push(`@sparticuz/chromium: ${(error as Error).message}`);
  }

  const system = sources.systemPath ?? SYSTEM_CHROMIUM;
  if (exists(system)) return { skip: false, executablePath: system, source: system };
  tried.push(`${system} is not installed`);

  throw new Error(
    `No Chromium for the browser tests (${tried.join('; ')}). Install the dev dependencies (pnpm install), ` +
      `install Debian's chromium, or set CHROMIUM_PATH; ${SKIP_VARIABLE}=1 skips these tests.`,
  );
}
