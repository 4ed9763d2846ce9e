// @vitest-environment node
/** Where the browser tests get their Chromium, and that a missing browser fails instead of skipping. */
import { describe, expect, test } from 'vitest';
import { chooseChromium } from './browser/chromium';

const PACKAGE_PATH = '/tmp/chromium';
const present =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);
const packageOk = async () => PACKAGE_PATH;
const packageFails = async () => {
  throw new Error('unsupported platform');
};

describe('chooseChromium', () => {
  test('takes the npm package Chromium first, then the system one', async () => {
    await expect(
      chooseChromium({ env: {}, packageChromium: packageOk, exists: present(PACKAGE_PATH, '/usr/bin/chromium') }),
    ).resolves.toEqual({ skip: false, executablePath: PACKAGE_PATH, source: '@sparticuz/chromium' });
    await expect(chooseChromium({ env: {}, packageChromium: packageFails, exists: present('/usr/bin/chromium') })).resolves.toEqual({
      skip: false,
      executablePath: '/usr/bin/chromium',
      source: '/usr/bin/chromium',
    });
  });

  test('CHROMIUM_PATH wins, and must exist', async () => {
    await expect(
      chooseChromium({ env: { CHROMIUM_PATH: '/opt/chrome' }, packageChromium: packageOk, exists: present('/opt/chrome', PACKAGE_PATH) }),
    ).resolves.toMatchObject({ executablePath: '/opt/chrome' });
    await expect(
      chooseChromium({ env: { CHROMIUM_PATH: '/opt/chrome' }, packageChromium: packageOk, exists: present(PACKAGE_PATH) }),
    ).rejects.toThrow('CHROMIUM_PATH=/opt/chrome does not exist');
  });

  test('no browser anywhere is an error that names the way to skip', async () => {
    await expect(chooseChromium({ env: {}, packageChromium: packageFails, exists: present() })).rejects.toThrow(
      /No Chromium for the browser tests \(@sparticuz\/chromium: unsupported platform; \/usr\/bin\/chromium is not installed\).*KF_STATS_SKIP_BROWSER_TESTS=1 skips/,
    );
  });

  test('KF_STATS_SKIP_BROWSER_TESTS=1, and only that, skips', async () => {
    await expect(
      chooseChromium({ env: { KF_STATS_SKIP_BROWSER_TESTS: '1' }, packageChromium: packageFails, exists: present() }),
    ).resolves.toEqual({
      skip: true,
    });
    await expect(
      chooseChromium({ env: { KF_STATS_SKIP_BROWSER_TESTS: 'true' }, packageChromium: packageFails, exists: present() }),
    ).rejects.toThrow(/No Chromium/);
  });
});
