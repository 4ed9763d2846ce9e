/**
 * Bad parameters, WeCom errors and partial failures, inside n8n's execution engine.
 */
import { OFFICIAL_FIELDS, useSimulator } from '@wecom-kf-stats/test-utils';
import type { IDataObject } from 'n8n-workflow';
import { beforeAll, describe, expect, test } from 'vitest';
import { runWorkflow, singleNodeWorkflow } from './n8n-harness.mjs';
import { chinaDaysAgo, corpParameters, PRESALES, simulatorCredentials } from './fixtures.mjs';

const kf = useSimulator();
beforeAll(async () => {});

type Parameters = IDataObject;
function workflow(parameters: Parameters, continueOnFail = false) {
  const wf = singleNodeWorkflow(parameters, 'wecomKfSelfBuiltApi');
  if (continueOnFail) wf.nodes[0]!.onError = 'continueRegularOutput';
  return wf;
}
const run = (
  parameters: Parameters,
  options: { input?: { json: IDataObject }[]; continueOnFail?: boolean; credentials?: ReturnType<typeof simulatorCredentials> } = {},
) =>
  runWorkflow(workflow(parameters, options.continueOnFail), {
    credentials: options.credentials ?? simulatorCredentials(kf.sim),
    ...(options.input ? { input: options.input } : {}),
  });

async function failureOf(parameters: Parameters, input?: { json: IDataObject }[]) {
  const result = await run(parameters, input ? { input } : {});
  expect(result.run.status).toBe('error');
  expect(result.output('KF')).toEqual([]);
  const error = result.error('KF');
  expect(error).toBeDefined();
  // The engine stores the error as a plain copy of the thrown NodeError (its name says which).
  expect(result.run.data.resultData.error?.message).toBe(error!.message);
  return error!;
}

describe('bad parameters: one NodeOperationError naming the parameter, with the item index', () => {
  test('a metric key that cannot be a field name', async () => {
    const error = await failureOf(corpParameters({ metrics: '={{ ["session_cnt", "Sessions Total"] }}' }));
    expect(error.name).toBe('NodeOperationError');
    expect(error.message).toBe(
      `Invalid parameter "Metrics" (metrics): "Sessions Total" (not a field name). Allowed: comma-separated metric keys of corp statistics (${[...OFFICIAL_FIELDS.corp].join(', ')}), or fields WeCom sends that this version does not know yet.`,
    );
    expect(error.context).toMatchObject({ itemIndex: 0 });
    expect(kf.sim.callCount()).toBe(0);
  });

  test('reply_rate for corp statistics, which have none: the message points to servicer statistics', async () => {
    const error = await failureOf(corpParameters({ metrics: ['session_cnt', 'reply_rate'] }));
    expect(error.name).toBe('NodeOperationError');
    expect(error.message).toMatch(
      /^Invalid parameter "Metrics" \(metrics\): "reply_rate" \(a field of component and servicer statistics only; for an account's human service, ask servicer statistics without a servicer\)\. Allowed: metrics of corp statistics: session_cnt, /,
    );
    expect(kf.sim.callCount()).toBe(0);
  });

  test('reversed dates name To Date', async () => {
    const error = await failureOf(corpParameters({ range: 'dates', fromDate: chinaDaysAgo(3), toDate: chinaDaysAgo(5) }));
    expect(error.name).toBe('NodeOperationError');
    expect(error.message).toMatch(
      new RegExp(
        `^Invalid parameter "To Date" \\(toDate\\): "${chinaDaysAgo(5)}" \\(the range is reversed\\)\\. Allowed: a day on or after from`,
      ),
    );
  });

  test('an invalid date names From Date and what is allowed', async () => {
    const error = await failureOf(corpParameters({ range: 'dates', fromDate: '2026-02-30' }));
    expect(error.message).toMatch(
      /^Invalid parameter "From Date" \(fromDate\): "2026-02-30" \(no such calendar date\)\. Allowed: YYYY-MM-DD/,
    );
  });

  test('a missing account for corp statistics names Account, on the item that lacks it', async () => {
    const error = await failureOf(corpParameters({ openKfid: '={{ $json.account }}' }), [
      { json: { account: PRESALES } },
      { json: { account: '' } },
    ]);
    expect(error.name).toBe('NodeOperationError');
    expect(error.message).toMatch(
      /^Invalid parameter "Account" \(openKfid\): missing\. Allowed: an open_kfid \("wk\.\.\."\) for corp statistics/,
    );
    expect(error.context).toMatchObject({ itemIndex: 1 });
  });

  test('a day outside the window with the strict option names From Date and the allowed days', async () => {
    const error = await failureOf(
      corpParameters({ range: 'dates', fromDate: chinaDaysAgo(190), toDate: chinaDaysAgo(10), options: { windowPolicy: 'strict' } }),
    );
    expect(error.message).toContain(
      `Invalid parameter "From Date" (fromDate): "${chinaDaysAgo(190)}". Allowed: days from ${chinaDaysAgo(180)} to ${chinaDaysAgo(1)}`,
    );
  });

  test('Last N Days out of range', async () => {
    const error = await failureOf(corpParameters({ range: 'lastDays', lastDays: 0 }));
    expect(error.message).toMatch(/^Invalid parameter "Last N Days" \(lastDays\): 0\. Allowed: a whole number of days from 1 to 3660/);
  });
});

describe('bad credentials', () => {
  test('an empty credential field is named as the credential dialog shows it', async () => {
    const credentials = {
      ...simulatorCredentials(kf.sim),
      wecomKfSelfBuiltApi: { corpId: kf.sim.fixtures.selfBuilt.corpId, corpSecret: '', baseUrl: kf.sim.url },
    };
    const result = await run(corpParameters(), { credentials });
    expect(result.error('KF')!.message).toBe(
      'Invalid credential field "App Secret" (corpSecret): "". Allowed: the app secret as a non-empty string.',
    );
    expect(kf.sim.callCount()).toBe(0);
  });

  test('a malformed base URL is named', async () => {
    const credentials = {
      ...simulatorCredentials(kf.sim),
      wecomKfSelfBuiltApi: { ...kf.sim.fixtures.selfBuilt, baseUrl: 'qyapi.weixin.qq.com' },
    };
    const result = await run(corpParameters(), { credentials });
    expect(result.error('KF')!.message).toMatch(
      /^Invalid credential field "Base URL" \(baseUrl\): "qyapi\.weixin\.qq\.com"\. Allowed: an http\(s\) URL/,
    );
  });
});

describe('WeCom errors', () => {
  test('an errcode becomes a NodeApiError with the errcode and the English and Chinese hint', async () => {
    kf.sim.inject({ kind: 'errcode', errcode: 95004, path: '/cgi-bin/kf/get_corp_statistic' });
    const error = await failureOf(corpParameters());
    expect(error.name).toBe('NodeApiError');
    expect(error.message).toContain('errcode 95004');
    expect(error.description).toBe(
      'The open_kfid was not found: pick an account from the account list.\nopen_kfid 不存在：请从客服账号列表中选择。',
    );
    expect(error.context).toMatchObject({ itemIndex: 0 });
  });

  test('a wrong secret never shows the secret, in the error or anywhere in the run data', async () => {
    const canary = 'CANARY-secret-7f3a9c21e5';
    const credentials = {
      ...simulatorCredentials(kf.sim),
      wecomKfSelfBuiltApi: { corpId: kf.sim.fixtures.selfBuilt.corpId, corpSecret: canary, baseUrl: kf.sim.url },
    };
    const result = await run(corpParameters(), { credentials });
    const error = result.error('KF')!;
    expect(error.message).toContain('errcode 40001');
    expect(error.description).toContain('secret 不正确');
    expect(JSON.stringify(result.run)).not.toContain(canary);
    expect(JSON.stringify({ message: error.message, description: error.description, stack: error.stack })).not.toContain(canary);

    const soft = await run(corpParameters(), { credentials, continueOnFail: true });
    expect(JSON.stringify(soft.run)).not.toContain(canary);
    expect(soft.output('KF')[0]!.json).toMatchObject({ errcode: 40001, code: 'WECOM_API' });
  });
});

describe('continueOnFail', () => {
  test('one bad item never loses the other items: their results stay, the bad one becomes an error item paired to it', async () => {
    const result = await run(
      corpParameters({ openKfid: '={{ $json.account }}', range: 'dates', fromDate: chinaDaysAgo(2), toDate: chinaDaysAgo(2) }),
      {
        continueOnFail: true,
        input: [{ json: { account: PRESALES } }, { json: { account: '' } }, { json: { account: 'wkSIM0002aftersales' } }],
      },
    );
    expect(result.run.status).toBe('success');
    const items = result.output('KF');
    expect(items.map((i) => [i.pairedItem, i.json.open_kfid ?? i.json.parameter])).toEqual([
      [{ item: 0 }, PRESALES],
      [{ item: 1 }, 'openKfid'],
      [{ item: 2 }, 'wkSIM0002aftersales'],
    ]);
    expect(items[1]!.json.error).toMatch(/^Invalid parameter "Account"/);
  });

  test('a range that fails halfway keeps every day that arrived and names the missing ones', async () => {
    // 62 days = 2 calls of 31 days; the second call meets a permission error (not retried).
    kf.sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/get_corp_statistic', times: 1 });
    const result = await run(corpParameters({ range: 'lastDays', lastDays: 62, options: { includeWarnings: false } }), {
      continueOnFail: true,
    });
    const items = result.output('KF');
    const days = items.filter((i) => i.json.date !== undefined);
    const errorItem = items.at(-1)!;
    expect(days).toHaveLength(31);
    expect(errorItem.json).toMatchObject({ errcode: 48002, code: 'INCOMPLETE' });
    expect(errorItem.json.missing_days).toHaveLength(31);
    expect(new Set([...days.map((d) => d.json.date), ...(errorItem.json.missing_days as string[])]).size).toBe(62);
    expect(items.every((i) => (i.pairedItem as { item: number }).item === 0)).toBe(true);
  });
});
