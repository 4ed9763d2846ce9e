import { startSimulator, type Simulator, type SimulatorOptions } from '../src/index.js';

/** 2024-06-15 12:00 China time. */
export const NOON_JUNE_15 = Date.parse('2024-06-15T12:00:00+08:00');

/** A clock the test moves by hand. */
export interface TestClock {
  ms: number;
  now: () => number;
}

export function testClock(ms = NOON_JUNE_15): TestClock {
  const clock: TestClock = { ms, now: () => clock.ms };
  return clock;
}

/** Unix seconds of a China date's midnight. */
export function midnight(date: string): number {
  return Date.parse(`${date}T00:00:00+08:00`) / 1000;
}

export interface JsonReply {
  status: number;
  body: Record<string, unknown>;
}

export async function getJson(url: string, init?: RequestInit): Promise<JsonReply> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export function postJson(url: string, body: unknown): Promise<JsonReply> {
  return getJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** POSTs to a `/cgi-bin/kf/…` endpoint with an access token. */
export function callKf(sim: Simulator, path: string, token: string, body: unknown): Promise<JsonReply> {
  return postJson(`${sim.url}/cgi-bin/kf/${path}?access_token=${encodeURIComponent(token)}`, body);
}

export async function selfBuiltToken(sim: Simulator, corp = sim.fixtures.selfBuilt): Promise<string> {
  const { body } = await getJson(`${sim.url}/cgi-bin/gettoken?corpid=${corp.corpId}&corpsecret=${encodeURIComponent(corp.corpSecret)}`);
  if (typeof body['access_token'] !== 'string') throw new Error(`gettoken failed: ${JSON.stringify(body)}`);
  return body['access_token'];
}

export async function suiteToken(sim: Simulator): Promise<string> {
  const { suite } = sim.fixtures;
  const { body } = await postJson(`${sim.url}/cgi-bin/service/get_suite_token`, {
    suite_id: suite.suiteId,
    suite_secret: suite.suiteSecret,
    suite_ticket: suite.suiteTicket,
  });
  if (typeof body['suite_access_token'] !== 'string') throw new Error(`get_suite_token failed: ${JSON.stringify(body)}`);
  return body['suite_access_token'];
}

export async function suiteCorpToken(
  sim: Simulator,
  corp = { authCorpId: sim.fixtures.suite.authCorpId, permanentCode: sim.fixtures.suite.permanentCode },
): Promise<string> {
  const { body } = await postJson(
    `${sim.url}/cgi-bin/service/get_corp_token?suite_access_token=${encodeURIComponent(await suiteToken(sim))}`,
    { auth_corpid: corp.authCorpId, permanent_code: corp.permanentCode },
  );
  if (typeof body['access_token'] !== 'string') throw new Error(`get_corp_token failed: ${JSON.stringify(body)}`);
  return body['access_token'];
}

/** Starts simulators and closes them all after each test. */
export function simulatorPool(): { start(options?: SimulatorOptions): Promise<Simulator>; closeAll(): Promise<void> } {
  const running: Simulator[] = [];
  return {
    async start(options) {
      const sim = await startSimulator(options);
      running.push(sim);
      return sim;
    },
    async closeAll() {
      await Promise.all(running.splice(0).map((sim) => sim.close()));
    },
  };
}

export interface StatEntry {
  stat_time: number;
  statistic?: Record<string, unknown>;
}

export function statisticList(reply: JsonReply): StatEntry[] {
  const list = reply.body['statistic_list'];
  if (!Array.isArray(list)) throw new Error(`no statistic_list in ${JSON.stringify(reply.body)}`);
  return list as StatEntry[];
}
