/**
 * A fake transport and clock for unit tests: requests are answered by a handler in-process, the
 * clock only moves when sleep is called, and every request is recorded.
 */
import { createKfStatsClient, type KfStatsClientOptions, type Transport, type TransportRequest } from '../../src/internal.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export type FakeHandler = (req: RecordedRequest, raw: TransportRequest) => unknown | Promise<unknown>;

export function fakeClock(startIso = '2026-11-24T10:00:00+08:00') {
  let now = Date.parse(startIso);
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** Answer with `{status, body}` from a handler returning an object (JSON) or a `{status, raw}`. */
export function fakeTransport(handler: FakeHandler) {
  const requests: RecordedRequest[] = [];
  const transport: Transport = async (raw) => {
    const url = new URL(raw.url);
    const req: RecordedRequest = {
      method: raw.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: raw.body === undefined ? undefined : JSON.parse(raw.body),
    };
    requests.push(req);
    const answer = await handler(req, raw);
    if (answer && typeof answer === 'object' && 'raw' in answer) {
      const { status = 200, raw: body } = answer as { status?: number; raw: string };
      return { status, body };
    }
    return { status: 200, body: JSON.stringify(answer) };
  };
  return { transport, requests, count: (path: string) => requests.filter((r) => r.path === path).length };
}

export const OK = { errcode: 0, errmsg: 'ok' };

/** A statistics answer for every day of the request, with a fixed statistic per day. */
export function statisticsAnswer(
  body: unknown,
  statistic: (statTime: number) => Record<string, unknown> | undefined = () => ({ session_cnt: 1 }),
) {
  const { start_time, end_time } = body as { start_time: number; end_time: number };
  const list = [];
  for (let t = start_time; t <= end_time; t += 86400) {
    const s = statistic(t);
    list.push(s === undefined ? { stat_time: t } : { stat_time: t, statistic: s });
  }
  return { ...OK, statistic_list: list };
}

/** A default WeCom: gettoken gives "tok-1", "tok-2"…; statistics answer every day. */
export function standardHandler(overrides: Partial<Record<string, FakeHandler>> = {}): FakeHandler {
  let tokens = 0;
  return (req, raw) => {
    const override = overrides[req.path];
    if (override) return override(req, raw);
    if (req.path === '/cgi-bin/gettoken') return { ...OK, access_token: `tok-${++tokens}`, expires_in: 7200 };
    if (req.path.startsWith('/cgi-bin/kf/get_')) return statisticsAnswer(req.body);
    throw new Error(`unexpected ${req.path}`);
  };
}

export function makeClient(handler: FakeHandler, options: Partial<KfStatsClientOptions> = {}) {
  const clock = fakeClock();
  const fake = fakeTransport(handler);
  const client = createKfStatsClient({
    auth: { type: 'selfBuilt', corpId: 'wwfake', corpSecret: 'fake-secret-value' },
    transport: fake.transport,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    baseUrl: 'https://wecom.test',
    ...options,
  });
  return { client, clock, ...fake };
}
