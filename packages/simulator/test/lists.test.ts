import { afterEach, describe, expect, it } from 'vitest';
import { callKf, getJson, midnight, selfBuiltToken, simulatorPool, testClock } from './helpers.js';

const pool = simulatorPool();
afterEach(() => pool.closeAll());

async function started() {
  const sim = await pool.start({ now: testClock().now });
  return { sim, token: await selfBuiltToken(sim) };
}

const DAY = { start_time: midnight('2024-06-01'), end_time: midnight('2024-06-01') };

describe('accounts, servicers and their ids', () => {
  it('account/list answers every account with manage_privilege', async () => {
    const { sim, token } = await started();
    const { body } = await callKf(sim, 'account/list', token, {});
    expect(body['errcode']).toBe(0);
    const accounts = body['account_list'] as Record<string, unknown>[];
    expect(accounts.map((a) => a['open_kfid'])).toEqual(sim.fixtures.accounts.map((a) => a.open_kfid));
    expect(accounts.map((a) => a['name'])).toEqual(['售前咨询', '售后服务', '会员中心']);
    for (const account of accounts) expect(account).toMatchObject({ manage_privilege: true, avatar: expect.any(String) });
  });

  it('account/list pages by offset and limit', async () => {
    const { sim, token } = await started();
    const first = await callKf(sim, 'account/list', token, { offset: 0, limit: 2 });
    const second = await callKf(sim, 'account/list', token, { offset: 2, limit: 2 });
    expect((first.body['account_list'] as unknown[]).length).toBe(2);
    expect((second.body['account_list'] as { open_kfid: string }[]).map((a) => a.open_kfid)).toEqual([sim.fixtures.accounts[2]?.open_kfid]);
  });

  it('account/list refuses a limit outside 1..100 with 40058', async () => {
    const { sim, token } = await started();
    expect((await callKf(sim, 'account/list', token, { limit: 0 })).body['errcode']).toBe(40058);
    expect((await callKf(sim, 'account/list', token, { limit: 101 })).body['errcode']).toBe(40058);
  });

  it('servicer/list answers the servicers of an account with status 0', async () => {
    const { sim, token } = await started();
    const openKfid = sim.fixtures.accounts[1]?.open_kfid ?? '';
    const { body } = await getJson(`${sim.url}/cgi-bin/kf/servicer/list?access_token=${token}&open_kfid=${openKfid}`);
    expect(body).toEqual({
      errcode: 0,
      errmsg: 'ok',
      servicer_list: (sim.fixtures.servicers[openKfid] ?? []).map((userid) => ({ userid, status: 0 })),
    });
  });

  it('answers 95004 for an unknown open_kfid', async () => {
    const { sim, token } = await started();
    const { body } = await callKf(sim, 'get_corp_statistic', token, { open_kfid: 'wkUNKNOWN', ...DAY });
    expect(body).toEqual({ errcode: 95004, errmsg: 'open_kfid not found' });
  });

  it('answers 95000 for a missing open_kfid', async () => {
    const { sim, token } = await started();
    const { body } = await callKf(sim, 'get_servicer_statistic', token, DAY);
    expect(body['errcode']).toBe(95000);
  });

  it('answers 60111 for a servicer that does not serve the account', async () => {
    const { sim, token } = await started();
    const body = { open_kfid: sim.fixtures.accounts[0]?.open_kfid, servicer_userid: 'nobody', ...DAY };
    expect((await callKf(sim, 'get_servicer_statistic', token, body)).body['errcode']).toBe(60111);
  });
});
