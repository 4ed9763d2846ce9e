import { describe, expect, it } from 'vitest';
import { chinaMidnight, formatDay, msIntoChinaDay, parseDay, dayNumberFromMs } from '../src/china-day.js';
import { parseCliArgs, UsageError } from '../src/cli-args.js';
import { defaultFixtures, extraSelfBuiltCorp, extraSuiteAuthCorp } from '../src/index.js';

describe('China days', () => {
  it('floors unix seconds to China midnight as in the official example', () => {
    expect(chinaMidnight(1554296400)).toBe(1554220800);
  });

  it('keeps a China midnight unchanged', () => {
    expect(chinaMidnight(1554220800)).toBe(1554220800);
  });

  it('names the China date of an instant that is still the previous day in UTC', () => {
    expect(formatDay(dayNumberFromMs(Date.parse('2024-03-01T23:30:00Z')))).toBe('2024-03-02');
  });

  it('round-trips dates and refuses impossible ones', () => {
    expect(formatDay(parseDay('2024-02-29'))).toBe('2024-02-29');
    expect(() => parseDay('2023-02-29')).toThrow(RangeError);
    expect(() => parseDay('2024/02/01')).toThrow(RangeError);
  });

  it('measures time into the China day', () => {
    expect(msIntoChinaDay(Date.parse('2024-06-15T06:00:00+08:00'))).toBe(6 * 3600 * 1000);
  });
});

describe('fixtures', () => {
  it('numbers generated corps after the fixed ones', () => {
    expect(extraSelfBuiltCorp(1)).toEqual({ corpId: 'wwsimcorp0000002', corpSecret: 'sim-corp-secret-0002' });
    expect(extraSuiteAuthCorp(1)).toEqual({ authCorpId: 'wwsimauth0000002', permanentCode: 'sim-permanent-code-0002' });
  });

  it('gives every account two to four servicers', () => {
    for (const account of defaultFixtures.accounts) {
      const count = defaultFixtures.servicers[account.open_kfid]?.length ?? 0;
      expect(count).toBeGreaterThanOrEqual(2);
      expect(count).toBeLessThanOrEqual(4);
    }
  });
});

describe('command-line options', () => {
  it('defaults to port 8080 on 127.0.0.1', () => {
    expect(parseCliArgs([])).toEqual({ help: false, options: { port: 8080, host: '127.0.0.1' } });
  });

  it('reads every option', () => {
    const args = ['--port', '0', '--host', '0.0.0.0', '--latency', '25', '--token-ttl', '60', '--seed', 's1'];
    args.push('--rate-limit-per-minute', '100', '--extra-corps', '3', '--quiet-day-share', '0.1');
    expect(parseCliArgs(args)).toEqual({
      help: false,
      options: {
        port: 0,
        host: '0.0.0.0',
        latencyMs: 25,
        tokenTtlSec: 60,
        seed: 's1',
        rateLimitPerMinute: 100,
        extraCorpCount: 3,
        quietDayShare: 0.1,
      },
    });
  });

  it('refuses a port that is not a number', () => {
    expect(() => parseCliArgs(['--port', 'http'])).toThrow(UsageError);
  });

  it('refuses unknown options', () => {
    expect(() => parseCliArgs(['--verbose'])).toThrow(UsageError);
  });

  it('recognises --help', () => {
    expect(parseCliArgs(['-h'])).toEqual({ help: true });
  });
});
