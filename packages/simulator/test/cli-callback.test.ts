import { afterEach, describe, expect, it } from 'vitest';
import { CALLBACK_AES_KEY_ENV, CALLBACK_TOKEN_ENV, parseCliArgs, USAGE, UsageError } from '../src/cli-args.js';
import { banner, deliveryLine } from '../src/cli-text.js';
import type { CallbackDelivery } from '../src/index.js';
import { simulatorPool } from './helpers.js';
import { CALLBACK_AES_KEY, CALLBACK_TOKEN } from './receiver.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

const ENV = { [CALLBACK_TOKEN_ENV]: CALLBACK_TOKEN, [CALLBACK_AES_KEY_ENV]: CALLBACK_AES_KEY };
const URL_ARGS = ['--callback-url', 'http://127.0.0.1:3000/callback/kf'];

function usageError(args: readonly string[], env: Record<string, string | undefined> = ENV): string {
  try {
    parseCliArgs(args, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`no UsageError for ${args.join(' ')}`);
}

describe('command line: the command callback', () => {
  it('reads the URL from --callback-url and the keys from the environment', () => {
    expect(parseCliArgs([...URL_ARGS, '--ticket-interval', '0.5', '--pushed-tickets-only'], ENV)).toEqual({
      help: false,
      options: { port: 8080, host: '127.0.0.1', pushedTicketsOnly: true },
      callback: {
        url: 'http://127.0.0.1:3000/callback/kf',
        token: CALLBACK_TOKEN,
        encodingAesKey: CALLBACK_AES_KEY,
        ticketIntervalMinutes: 0.5,
      },
    });
    expect(parseCliArgs(URL_ARGS, ENV)).toMatchObject({ callback: { ticketIntervalMinutes: 10 } });
    expect(parseCliArgs([], ENV)).not.toHaveProperty('callback');
  });

  it('names the flag, the value and what is allowed for a bad URL or interval', () => {
    expect(usageError(['--callback-url', 'localhost:3000/callback'])).toBe(
      '--callback-url must be an absolute http or https URL, got "localhost:3000/callback"',
    );
    expect(usageError(['--callback-url', 'not a url'])).toBe('--callback-url must be an absolute http or https URL, got "not a url"');
    expect(usageError([...URL_ARGS, '--ticket-interval', '0'])).toBe('--ticket-interval must be a number from 0.1 to 1440, got "0"');
    expect(usageError([...URL_ARGS, '--ticket-interval', 'ten'])).toBe('--ticket-interval must be a number from 0.1 to 1440, got "ten"');
    expect(usageError(['--ticket-interval', '5'])).toBe('--ticket-interval needs --callback-url');
  });

  it('names the environment variable of a missing or malformed key, without printing the key', () => {
    expect(usageError(URL_ARGS, { [CALLBACK_AES_KEY_ENV]: CALLBACK_AES_KEY })).toBe(
      `--callback-url needs the callback Token in the environment variable ${CALLBACK_TOKEN_ENV}`,
    );
    expect(usageError(URL_ARGS, { [CALLBACK_TOKEN_ENV]: CALLBACK_TOKEN, [CALLBACK_AES_KEY_ENV]: '' })).toBe(
      `--callback-url needs the callback EncodingAESKey in the environment variable ${CALLBACK_AES_KEY_ENV}`,
    );
    const short = usageError(URL_ARGS, { ...ENV, [CALLBACK_AES_KEY_ENV]: 'secret-key-42' });
    expect(short).toBe(
      `${CALLBACK_AES_KEY_ENV} must be an EncodingAESKey of 43 characters of base64 (A-Z, a-z, 0-9, +, /), got 13 characters with some outside that set`,
    );
    expect(short).not.toContain('secret-key-42');
  });

  it('documents the flags and the environment variables in the help', () => {
    for (const text of ['--callback-url URL', '--ticket-interval MIN', '--pushed-tickets-only', CALLBACK_TOKEN_ENV, CALLBACK_AES_KEY_ENV]) {
      expect(USAGE).toContain(text);
    }
  });

  it('the banner says where tickets are pushed, how often and where the keys come from', async () => {
    const sim = await pool.start();
    const callback = {
      url: 'http://127.0.0.1:3000/callback/kf',
      token: CALLBACK_TOKEN,
      encodingAesKey: CALLBACK_AES_KEY,
      ticketIntervalMinutes: 5,
    };
    const text = banner(sim, callback, true);
    expect(text).toContain('Command callback: verifying http://127.0.0.1:3000/callback/kf');
    expect(text).toContain(`every 5 minutes; Token from ${CALLBACK_TOKEN_ENV}, EncodingAESKey from ${CALLBACK_AES_KEY_ENV}`);
    expect(text).toContain('is refused (--pushed-tickets-only)');
    expect(text).not.toContain(CALLBACK_TOKEN);
    expect(text).not.toContain(CALLBACK_AES_KEY);
    expect(banner(sim, undefined, false)).not.toContain('Command callback');
  });

  it('prints one line per delivery without the message', () => {
    const delivery: CallbackDelivery = {
      kind: 'suite_ticket',
      automatic: true,
      method: 'POST',
      url: 'http://127.0.0.1:3000/callback/kf',
      message: '<xml><SuiteTicket><![CDATA[sim-ticket-value]]></SuiteTicket></xml>',
      status: 200,
      body: 'success',
      ok: true,
      at: Date.parse('2024-06-15T04:00:00Z'),
    };
    expect(deliveryLine(delivery)).toBe('2024-06-15T04:00:00.000Z callback suite_ticket (automatic): HTTP 200 "success", accepted');
    expect(deliveryLine({ ...delivery, automatic: false, status: 0, body: '', ok: false, error: 'ECONNREFUSED: connect' })).toBe(
      '2024-06-15T04:00:00.000Z callback suite_ticket: no answer (ECONNREFUSED: connect)',
    );
    expect(deliveryLine({ ...delivery, status: 500, body: 'oops', ok: false })).toContain('HTTP 500 "oops", not "success"');
  });
});
