import { afterEach, describe, expect, it } from 'vitest';
import { callKf, getJson, midnight, postJson, selfBuiltToken, simulatorPool, suiteCorpToken, suiteToken, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

const JUNE_10 = { start_time: midnight('2024-06-10'), end_time: midnight('2024-06-10') };

describe('self-built app tokens', () => {
  it('gettoken issues an opaque access token that expires in 7200 seconds', async () => {
    const sim = await pool.start({ now: testClock().now });
    const { selfBuilt } = sim.fixtures;
    const { status, body } = await getJson(`${sim.url}/cgi-bin/gettoken?corpid=${selfBuilt.corpId}&corpsecret=${selfBuilt.corpSecret}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(body['access_token']).toMatch(/^[A-Za-z0-9_-]{64}$/);
  });

  it('gettoken answers 40013 for an unknown corpid', async () => {
    const sim = await pool.start();
    const { body } = await getJson(`${sim.url}/cgi-bin/gettoken?corpid=wwnobody&corpsecret=x`);
    expect(body['errcode']).toBe(40013);
  });

  it('gettoken answers 40001 for a wrong secret', async () => {
    const sim = await pool.start();
    const { body } = await getJson(`${sim.url}/cgi-bin/gettoken?corpid=${sim.fixtures.selfBuilt.corpId}&corpsecret=wrong`);
    expect(body['errcode']).toBe(40001);
  });

  it('uses tokenTtlSec as expires_in', async () => {
    const sim = await pool.start({ tokenTtlSec: 60 });
    const { selfBuilt } = sim.fixtures;
    const { body } = await getJson(`${sim.url}/cgi-bin/gettoken?corpid=${selfBuilt.corpId}&corpsecret=${selfBuilt.corpSecret}`);
    expect(body['expires_in']).toBe(60);
  });

  it('a token answers 42001 once the simulator clock passes its expiry', async () => {
    const clock = testClock();
    const sim = await pool.start({ now: clock.now, tokenTtlSec: 100 });
    const token = await selfBuiltToken(sim);
    const body = { open_kfid: sim.fixtures.accounts[0]?.open_kfid, ...JUNE_10 };
    clock.ms += 99_000;
    expect((await callKf(sim, 'get_corp_statistic', token, body)).body['errcode']).toBe(0);
    clock.ms += 1_000;
    expect((await callKf(sim, 'get_corp_statistic', token, body)).body).toEqual({ errcode: 42001, errmsg: 'access_token expired' });
  });

  it('invalidateTokens makes every issued access token answer 40014', async () => {
    const sim = await pool.start({ now: testClock().now });
    const token = await selfBuiltToken(sim);
    sim.invalidateTokens();
    const { body } = await callKf(sim, 'account/list', token, {});
    expect(body).toEqual({ errcode: 40014, errmsg: 'invalid access_token' });
  });

  it('a call without access_token answers 41001', async () => {
    const sim = await pool.start();
    const { body } = await postJson(`${sim.url}/cgi-bin/kf/account/list`, {});
    expect(body['errcode']).toBe(41001);
  });

  it('an unknown access token answers 40014', async () => {
    const sim = await pool.start();
    const { body } = await callKf(sim, 'account/list', 'not-a-token', {});
    expect(body['errcode']).toBe(40014);
  });

  it('a self-built token may not call get_statistic and gets 48002', async () => {
    const sim = await pool.start({ now: testClock().now });
    const { body } = await callKf(sim, 'get_statistic', await selfBuiltToken(sim), JUNE_10);
    expect(body).toEqual({ errcode: 48002, errmsg: 'api forbidden' });
  });
});

describe('service provider tokens', () => {
  it('get_suite_token answers a suite_access_token without errcode', async () => {
    const sim = await pool.start();
    const { suite } = sim.fixtures;
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_suite_token`, {
      suite_id: suite.suiteId,
      suite_secret: suite.suiteSecret,
      suite_ticket: suite.suiteTicket,
    });
    expect(Object.keys(body).sort()).toEqual(['expires_in', 'suite_access_token']);
  });

  it('get_suite_token answers 40001 for a wrong suite secret', async () => {
    const sim = await pool.start();
    const { suite } = sim.fixtures;
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_suite_token`, {
      suite_id: suite.suiteId,
      suite_secret: 'wrong',
      suite_ticket: suite.suiteTicket,
    });
    expect(body['errcode']).toBe(40001);
  });

  it('get_suite_token answers 40085 for a ticket it never pushed', async () => {
    const sim = await pool.start();
    const { suite } = sim.fixtures;
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_suite_token`, {
      suite_id: suite.suiteId,
      suite_secret: suite.suiteSecret,
      suite_ticket: 'stale-ticket',
    });
    expect(body['errcode']).toBe(40085);
  });

  it('addSuiteTicket makes a new ticket acceptable', async () => {
    const sim = await pool.start();
    const { suite } = sim.fixtures;
    sim.addSuiteTicket('sim-suite-ticket-0002');
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_suite_token`, {
      suite_id: suite.suiteId,
      suite_secret: suite.suiteSecret,
      suite_ticket: 'sim-suite-ticket-0002',
    });
    expect(typeof body['suite_access_token']).toBe('string');
  });

  it('get_corp_token answers an access_token without errcode that may call get_statistic', async () => {
    const sim = await pool.start({ now: testClock().now });
    const { suite } = sim.fixtures;
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_corp_token?suite_access_token=${await suiteToken(sim)}`, {
      auth_corpid: suite.authCorpId,
      permanent_code: suite.permanentCode,
    });
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in']);
    const stats = await callKf(sim, 'get_statistic', String(body['access_token']), JUNE_10);
    expect(stats.body['errcode']).toBe(0);
  });

  it('get_corp_token answers 40084 for a wrong permanent code', async () => {
    const sim = await pool.start();
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_corp_token?suite_access_token=${await suiteToken(sim)}`, {
      auth_corpid: sim.fixtures.suite.authCorpId,
      permanent_code: 'wrong',
    });
    expect(body['errcode']).toBe(40084);
  });

  it('get_corp_token answers 40084 for a corp that never authorized the suite', async () => {
    const sim = await pool.start();
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_corp_token?suite_access_token=${await suiteToken(sim)}`, {
      auth_corpid: 'wwstranger',
      permanent_code: sim.fixtures.suite.permanentCode,
    });
    expect(body['errcode']).toBe(40084);
  });

  it('an expired suite token answers 42009', async () => {
    const clock = testClock();
    const sim = await pool.start({ now: clock.now, tokenTtlSec: 60 });
    const token = await suiteToken(sim);
    clock.ms += 60_000;
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_corp_token?suite_access_token=${token}`, {
      auth_corpid: sim.fixtures.suite.authCorpId,
      permanent_code: sim.fixtures.suite.permanentCode,
    });
    expect(body['errcode']).toBe(42009);
  });

  it('invalidateTokens makes suite tokens answer 40082', async () => {
    const sim = await pool.start();
    const token = await suiteToken(sim);
    sim.invalidateTokens();
    const { body } = await postJson(`${sim.url}/cgi-bin/service/get_corp_token?suite_access_token=${token}`, {
      auth_corpid: sim.fixtures.suite.authCorpId,
      permanent_code: sim.fixtures.suite.permanentCode,
    });
    expect(body['errcode']).toBe(40082);
  });

  it('a suite-authorized corp token may call corp statistics too', async () => {
    const sim = await pool.start({ now: testClock().now });
    const token = await suiteCorpToken(sim);
    const { body } = await callKf(sim, 'get_corp_statistic', token, { open_kfid: sim.fixtures.accounts[0]?.open_kfid, ...JUNE_10 });
    expect(body['errcode']).toBe(0);
  });
});

describe('token service', () => {
  it('answers 401 without the service header', async () => {
    const sim = await pool.start();
    const { status, body } = await getJson(`${sim.url}${sim.fixtures.tokenService.path}`);
    expect(status).toBe(401);
    expect(body).toEqual({ error: 'unauthorized' });
  });

  it('hands out a working token for the self-built corp with the service header', async () => {
    const sim = await pool.start({ now: testClock().now });
    const { tokenService, selfBuilt } = sim.fixtures;
    const { status, body } = await getJson(`${sim.url}${tokenService.path}?corpid=${selfBuilt.corpId}`, {
      headers: { [tokenService.headerName]: tokenService.headerValue },
    });
    expect(status).toBe(200);
    expect(body['expires_in']).toBe(7200);
    const list = await callKf(sim, 'account/list', String(body['access_token']), {});
    expect(list.body['errcode']).toBe(0);
  });
});
