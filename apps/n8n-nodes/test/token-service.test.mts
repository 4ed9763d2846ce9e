/**
 * The token service credential against a real wecom-kf-stats server process: a service
 * provider's server whose suite_ticket and authorized corp arrive only through WeCom's callback
 * (the simulator plays WeCom, and accepts no ticket but the pushed one). n8n holds nothing but the
 * server's address, the source, the corp and an API key; the node runs in n8n's execution engine.
 */
import { summarizeDays, type StatisticsDay } from '@wecom-kf-stats/core/internal';
import { startProviderServer, type ProviderServer } from '@wecom-kf-stats/test-utils/server';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ICredentialDataDecryptedObject, IDataObject, IWorkflowBase } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testCredential } from './credential-tester.mjs';
import { NODE_TYPE, packageDir, runWorkflow, singleNodeWorkflow } from './n8n-harness.mjs';
import { chinaDaysAgo } from './fixtures.mjs';

const require = createRequire(import.meta.url);
const serverBin = join(dirname(require.resolve('@wecom-kf-stats/server/package.json')), 'bin', 'wecom-kf-stats-server.js');

const TYPE = 'wecomKfTokenServiceApi';
const kf = useSimulator({ pushedTicketsOnly: true });
let server: ProviderServer;

beforeAll(async () => {
  server = await startProviderServer(kf.sim, { bin: serverBin });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

function credentials(apiKey: string, extra: IDataObject = {}): Record<string, ICredentialDataDecryptedObject> {
  return {
    [TYPE]: {
      serverUrl: server.url,
      source: server.source,
      corpId: server.corpId,
      apiKey,
      headerName: 'Authorization',
      baseUrl: kf.sim.url,
      ...extra,
    },
  };
}

const componentParameters = (extra: IDataObject = {}) => ({
  authentication: 'tokenService',
  resource: 'statistics',
  operation: 'getComponentStatistics',
  range: 'dates',
  fromDate: chinaDaysAgo(5),
  toDate: chinaDaysAgo(2),
  ...extra,
});

/** The corp's current access token, as the server hands it out. */
async function currentAccessToken(): Promise<string> {
  const answer = await fetch(server.tokenUrl, { headers: { authorization: `Bearer ${server.tokenKey}` } });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { access_token: string }).access_token;
}

/** Everything a user or another system can see of a run: the workflow as exported, the run data, the error. */
function visible(workflow: object, run: object, error?: Error & IDataObject): string {
  return JSON.stringify([workflow, run, error ? { message: error.message, description: error.description, stack: error.stack } : null]);
}

describe('token service credential (wecom-kf-stats server)', () => {
  test('component statistics of the authorized corp come through the token service, with no ticket in n8n', async () => {
    const workflow = singleNodeWorkflow(componentParameters(), TYPE);
    const result = await runWorkflow(workflow, { credentials: credentials(server.tokenKey) });
    expect(result.run.status).toBe('success');
    const items = result.output('KF');
    expect(items.map((i) => i.json.date)).toEqual([5, 4, 3, 2].map((n) => chinaDaysAgo(n)));
    for (const item of items) {
      const expected = kf.sim.expectedStatistic({ endpoint: 'component', corpId: server.corpId, date: item.json.date as string });
      expect(item.json.has_data).toBe(expected !== undefined);
      expect(item.json.session_cnt).toBe(expected?.session_cnt ?? null);
      expect(item.json.reply_rate).toBe(expected?.reply_rate ?? null);
    }
    expect(kf.sim.callCount('/cgi-bin/kf/get_statistic')).toBe(1);

    // The ticket exists only between WeCom and the server.
    const ticket = kf.sim.provider.latestTicket!;
    expect(ticket).toEqual(expect.any(String));
    expect(Object.keys(credentials(server.tokenKey)[TYPE]!).join(' ')).not.toMatch(/ticket|secret|permanent/i);
    const seen = visible(workflow, result.run);
    expect(seen).not.toContain(ticket);
    expect(seen).not.toContain(server.tokenKey);
    expect(seen).not.toContain(await currentAccessToken());
  });

  test('a read key is refused with the server’s reason, even after a token key got a token in this n8n process', async () => {
    const first = await runWorkflow(singleNodeWorkflow(componentParameters(), TYPE), { credentials: credentials(server.tokenKey) });
    expect(first.run.status).toBe('success');

    const workflow = singleNodeWorkflow(componentParameters(), TYPE);
    const result = await runWorkflow(workflow, { credentials: credentials(server.readKey) });
    expect(result.run.status).toBe('error');
    const error = result.error('KF')!;
    expect(error.name).toBe('NodeApiError');
    expect(error.message).toBe(
      'Request to /api/v1/sources/isv/token answered HTTP 403: this API key may read statistics but not take access tokens: use a key from tokenApiKeysEnv.',
    );
    expect(error.httpCode).toBe('403');
    // Retrying cannot help: the key itself is refused.
    expect(error.failure).toEqual({ cause: 'credential-invalid' });
    expect(kf.sim.callCount('/cgi-bin/kf/get_statistic')).toBe(1);
    const seen = visible(workflow, result.run, error);
    expect(seen).not.toContain(server.readKey);
    expect(seen).not.toContain(await currentAccessToken());
  });

  test("a provider's customer key (its corp only, with tokens) works, and one of another corp is refused", async () => {
    const workflow = singleNodeWorkflow(componentParameters(), TYPE);
    const result = await runWorkflow(workflow, { credentials: credentials(server.customerTokenKey) });
    expect(result.run.status).toBe('success');
    expect(result.output('KF').map((i) => i.json.date)).toEqual([5, 4, 3, 2].map((n) => chinaDaysAgo(n)));
    expect(visible(workflow, result.run)).not.toContain(server.customerTokenKey);
    expect((await testCredential(TYPE, credentials(server.customerTokenKey)[TYPE]!)).status).toBe('OK');

    const other = await runWorkflow(workflow, { credentials: credentials(server.otherCustomerTokenKey) });
    expect(other.run.status).toBe('error');
    expect(other.error('KF')!.message).toBe(
      `Request to /api/v1/sources/isv/token answered HTTP 403: this API key may not read source "isv".`,
    );
    expect(visible(workflow, other.run, other.error('KF')!)).not.toContain(server.otherCustomerTokenKey);
  });

  test('with continueOnFail the refusal is an error item with the code, and no key', async () => {
    const workflow = singleNodeWorkflow(componentParameters(), TYPE);
    workflow.nodes[0]!.onError = 'continueRegularOutput';
    const result = await runWorkflow(workflow, { credentials: credentials(server.readKey) });
    expect(result.run.status).toBe('success');
    expect(result.output('KF').map((i) => i.json)).toEqual([
      {
        error: expect.stringContaining('HTTP 403: this API key may read statistics but not take access tokens') as string,
        code: 'HTTP_STATUS',
      },
    ]);
    expect(visible(workflow, result.run)).not.toContain(server.readKey);
  });

  test('the credential test takes a token from the server and lists the corp’s accounts', async () => {
    const result = await testCredential(TYPE, credentials(server.tokenKey)[TYPE]!);
    expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
    expect(kf.sim.callCount('/cgi-bin/kf/account/list')).toBe(2);
  });

  test('the credential test with a read key fails with the server’s reason and without the key', async () => {
    const result = await testCredential(TYPE, credentials(server.readKey)[TYPE]!);
    expect(result.status).toBe('Error');
    expect(result.message).toContain(
      'HTTP 403: this API key may read statistics but not take access tokens: use a key from tokenApiKeysEnv',
    );
    expect(result.message).not.toContain(server.readKey);
  });

  test('a key the server does not know fails the credential test with HTTP 401', async () => {
    const canary = 'CANARY-unknown-key-3e1d5a';
    const result = await testCredential(TYPE, credentials(canary)[TYPE]!);
    expect(result.status).toBe('Error');
    expect(result.message).toContain('HTTP 401');
    expect(result.message).not.toContain(canary);
  });

  test('a pasted token URL in Server URL is named as the credential field, before any call', async () => {
    const before = kf.sim.callCount();
    const result = await runWorkflow(singleNodeWorkflow(componentParameters(), TYPE), {
      credentials: credentials(server.tokenKey, { serverUrl: server.tokenUrl }),
    });
    expect(result.error('KF')!.message).toMatch(
      /^Invalid credential field "Server URL" \(serverUrl\): ".+" \(it already holds an API path\)\. Allowed: the server's address/,
    );
    expect(kf.sim.callCount()).toBe(before);
  });
  test('the example workflow runs with a token service credential once its Authentication is switched', async () => {
    const workflow = JSON.parse(
      readFileSync(join(packageDir, 'examples', 'daily-component-statistics.workflow.json'), 'utf8'),
    ) as IWorkflowBase;
    const statsNode = workflow.nodes.find((n) => n.type === NODE_TYPE)!;
    statsNode.parameters.authentication = 'tokenService';
    statsNode.credentials = { [TYPE]: { id: '2', name: 'wecom-kf-stats server' } };
    const result = await runWorkflow(workflow, { credentials: credentials(server.tokenKey), input: [{ json: {} }] });
    expect(result.run.status).toBe('success');
    const [item] = result.output("Yesterday's component statistics");
    expect(item!.json).toMatchObject({ from: chinaDaysAgo(1), to: chinaDaysAgo(1), day_count: 1 });
    const statistic = kf.sim.expectedStatistic({ endpoint: 'component', corpId: server.corpId, date: chinaDaysAgo(1) }) ?? null;
    const expected = summarizeDays('component', [{ date: chinaDaysAgo(1), stat_time: 0, statistic } as StatisticsDay]);
    for (const [key, value] of Object.entries(expected.metrics)) expect(item!.json[key], key).toBe(value);
    expect(visible(workflow, result.run)).not.toContain(server.tokenKey);
  });
});
