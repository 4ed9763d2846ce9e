import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useState } from 'react';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { DataSourceSettings } from '@grafana/data';
import { startSimulator, type Simulator } from '@wecom-kf-stats/simulator';
import { ConfigEditor } from '../src/components/ConfigEditor';
import { QueryEditor } from '../src/components/QueryEditor';
import { DEFAULT_QUERY, type KfStatsOptions, type KfStatsQuery, type KfStatsSecureJsonData } from '../src/types';
import { startGrafanaHost, type GrafanaHost } from './grafana-host';

type Settings = DataSourceSettings<KfStatsOptions, KfStatsSecureJsonData>;

function settings(jsonData: KfStatsOptions = {}, secureJsonFields: Record<string, boolean> = {}): Settings {
  return {
    id: 1,
    uid: 'kfstats-test',
    orgId: 1,
    name: 'WeCom KF',
    type: 'wecomkfstats-kfstats-datasource',
    typeName: 'WeCom KF statistics',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData,
    secureJsonFields,
    readOnly: false,
    withCredentials: false,
  } as Settings;
}

/** Holds the settings like Grafana's data source page does, and records every change. */
function renderConfigEditor(initial: Settings) {
  const changes: Settings[] = [];
  function Page() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(next) => {
          changes.push(next);
          setOptions(next);
        }}
      />
    );
  }
  render(<Page />);
  return { changes, last: () => changes.at(-1)! };
}

describe('ConfigEditor', () => {
  test('says plainly that the access_token passes through the browser', () => {
    renderConfigEditor(settings({ connection: 'direct' }));
    expect(screen.getByText('The access_token passes through the browser')).toBeTruthy();
    expect(screen.getByText(/document\/path\/91039/)).toBeTruthy();
  });

  test('a self-built app stores the corp id in jsonData and the secret in secureJsonData only', async () => {
    const user = userEvent.setup();
    const { last } = renderConfigEditor(settings({ connection: 'direct' }));
    await user.type(screen.getByPlaceholderText('ww...'), 'wwcorp123');
    await user.type(screen.getByPlaceholderText('App Secret'), 's3cret-value');
    expect(last().jsonData.corpId).toBe('wwcorp123');
    expect(last().secureJsonData).toEqual({ corpSecret: 's3cret-value' });
    expect(last().jsonData.connection).toBe('direct');
    expect(JSON.stringify(last().jsonData)).not.toContain('s3cret-value');
  });

  test('a stored secret shows as configured and can be reset', async () => {
    const user = userEvent.setup();
    const { last } = renderConfigEditor(settings({ authMode: 'selfBuilt', corpId: 'ww1' }, { corpSecret: true }));
    expect((screen.getByPlaceholderText('App Secret') as HTMLInputElement).value).toBe('configured');
    await user.click(screen.getByRole('button', { name: /reset/i }));
    expect(last().secureJsonFields.corpSecret).toBe(false);
    expect(last().secureJsonData?.corpSecret).toBe('');
  });

  test('token service mode asks for the URL, the header and its secret', async () => {
    const user = userEvent.setup();
    const { last } = renderConfigEditor(settings({ connection: 'direct' }));
    await user.click(screen.getByLabelText('Token service'));
    expect(last().jsonData.authMode).toBe('tokenService');
    expect(screen.queryByPlaceholderText('App Secret')).toBeNull();
    await user.type(screen.getByPlaceholderText('https://tokens.example.com/wecom/token'), 'https://tokens.local/t/');
    await user.tab();
    expect(last().jsonData.tokenServiceUrl).toBe('https://tokens.local/t');
    await user.click(screen.getByLabelText('Authorization'));
    expect(last().jsonData.tokenServiceHeader).toBe('Authorization');
    await user.type(screen.getByPlaceholderText('Token service secret'), 'Bearer abc');
    expect(last().secureJsonData).toEqual({ tokenServiceSecret: 'Bearer abc' });
  });

  test('an API base URL that is not http(s) is flagged with what is allowed', async () => {
    const user = userEvent.setup();
    renderConfigEditor(settings({ connection: 'direct' }));
    await user.type(screen.getByPlaceholderText('https://qyapi.weixin.qq.com'), 'qyapi.weixin.qq.com');
    expect(await screen.findByText(/Invalid API base URL: "qyapi.weixin.qq.com"\. Allowed: an http\(s\) URL/)).toBeTruthy();
  });
});

describe('ConfigEditor: server mode', () => {
  let stub: Server;
  let stubUrl: string;
  const seenKeys: string[] = [];
  beforeAll(async () => {
    // Answers like the server's GET /api/v1/sources, for the source picker.
    stub = createServer((req, res) => {
      seenKeys.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          sources: [
            { id: 'acme', type: 'selfBuilt', collect: ['corp', 'servicer'], corps: ['wwacme'] },
            { id: 'isv', type: 'serviceProvider', collect: ['component'], corps: ['wwone', 'wwtwo'] },
          ],
        }),
      );
    });
    await new Promise<void>((done) => stub.listen(0, '127.0.0.1', done));
    stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    stub.close();
  });

  test('a new data source starts in server mode and says what the browser receives', async () => {
    const user = userEvent.setup();
    const { last } = renderConfigEditor(settings());
    expect(last().jsonData.connection).toBe('server');
    expect(screen.getByText('The browser receives statistics only')).toBeTruthy();
    expect(screen.queryByText('The access_token passes through the browser')).toBeNull();
    await user.type(screen.getByPlaceholderText('http://127.0.0.1:8787'), 'http://kf-stats.internal:8787/ ');
    await user.tab();
    await user.type(screen.getByPlaceholderText('Server API key'), 'read-key-0123456789');
    expect(last().jsonData.serverUrl).toBe('http://kf-stats.internal:8787');
    expect(last().secureJsonData).toEqual({ serverApiKey: 'read-key-0123456789' });
    expect(JSON.stringify(last().jsonData)).not.toContain('read-key');
  });

  test('a data source saved by version 0.1 (no mode, direct settings) stays in direct mode', () => {
    const { last } = renderConfigEditor(settings({ authMode: 'selfBuilt', corpId: 'ww1' }, { corpSecret: true }));
    expect(last().jsonData).toMatchObject({ connection: 'direct', corpId: 'ww1' });
    expect(screen.getByText('The access_token passes through the browser')).toBeTruthy();
  });

  test("switching mode drops the other mode's secrets, so its routes have nothing to send", async () => {
    const user = userEvent.setup();
    const { last } = renderConfigEditor(settings({ connection: 'direct', corpId: 'ww1' }, { corpSecret: true, tokenServiceSecret: true }));
    await user.click(screen.getByLabelText('Through the server (recommended)'));
    expect(last().jsonData.connection).toBe('server');
    expect(last().secureJsonFields).toMatchObject({ corpSecret: false, tokenServiceSecret: false });
    expect(last().secureJsonData).toMatchObject({ corpSecret: '', tokenServiceSecret: '' });
    await user.type(screen.getByPlaceholderText('Server API key'), 'k');
    await user.click(screen.getByLabelText('Direct to WeCom'));
    expect(last().jsonData.connection).toBe('direct');
    expect(last().secureJsonData?.serverApiKey).toBe('');
  });

  test('a server URL that is not http(s) is flagged with what is allowed', async () => {
    const user = userEvent.setup();
    renderConfigEditor(settings({ connection: 'server' }));
    await user.type(screen.getByPlaceholderText('http://127.0.0.1:8787'), 'kf-stats:8787');
    expect(await screen.findByText(/Invalid Server URL: "kf-stats:8787"\. Allowed: an http\(s\) URL/)).toBeTruthy();
  });

  test("the source picker lists the server's sources through the data proxy; an unknown source and a corp are checked", async () => {
    const user = userEvent.setup();
    const jsonData = { connection: 'server' as const, serverUrl: stubUrl, source: 'nope' };
    const host = startGrafanaHost({ jsonData, secureJsonData: { serverApiKey: 'stub-key-0123456789' }, user: { role: 'Admin' } });
    const { last } = renderConfigEditor(settings(jsonData, { serverApiKey: true }));
    expect(await screen.findByText('Source "nope" is not configured on the server; allowed: acme, isv')).toBeTruthy();
    expect(seenKeys.at(-1)).toBe('Bearer stub-key-0123456789');
    expect(host.browserRequests.map((r) => r.url)).toEqual(['/api/datasources/proxy/uid/kfstats-test/kf-server/api/v1/sources']);
    await user.click(screen.getByRole('combobox', { name: 'Source' }));
    await user.click(await screen.findByText('isv'));
    expect(last().jsonData.source).toBe('isv');
    // A provider source with two corps asks which one.
    await user.type(await screen.findByPlaceholderText('ww...'), 'wwthree');
    expect(await screen.findByText('Corp ID "wwthree" is not a corp of source "isv"; allowed: wwone, wwtwo')).toBeTruthy();
  });
});

describe('QueryEditor', () => {
  let sim: Simulator;
  let host: GrafanaHost;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    host = startGrafanaHost({
      jsonData: { authMode: 'selfBuilt', corpId: sim.fixtures.selfBuilt.corpId, apiBaseUrl: sim.url },
      secureJsonData: { corpSecret: sim.fixtures.selfBuilt.corpSecret },
    });
  });

  function renderQueryEditor(initial: Partial<KfStatsQuery> = {}) {
    const changes: KfStatsQuery[] = [];
    const onRunQuery = vi.fn();
    function Panel() {
      const [query, setQuery] = useState<KfStatsQuery>({ ...DEFAULT_QUERY, refId: 'A', ...initial });
      return (
        <QueryEditor
          datasource={host.datasource}
          query={query}
          onChange={(next) => {
            changes.push(next);
            setQuery(next);
          }}
          onRunQuery={onRunQuery}
        />
      );
    }
    render(<Panel />);
    return { changes, last: () => changes.at(-1)!, onRunQuery };
  }

  test('the account picker lists the accounts WeCom returns; picking one runs the query', async () => {
    const user = userEvent.setup();
    const { last, onRunQuery } = renderQueryEditor();
    await waitFor(() => expect(sim.callCount('/cgi-bin/kf/account/list')).toBeGreaterThan(0));
    await user.click(screen.getByRole('combobox', { name: 'Account' }));
    await user.click(await screen.findByText('售后服务'));
    expect(last().openKfid).toBe('wkSIM0002aftersales');
    expect(onRunQuery).toHaveBeenCalled();
  });

  test('dashboard variables are offered in the pickers', async () => {
    const user = userEvent.setup();
    host.variables = { account: 'wkSIM0001presales' };
    const { last } = renderQueryEditor();
    await user.click(screen.getByRole('combobox', { name: 'Account' }));
    await screen.findByText('售前咨询');
    await user.click(screen.getByText('$account'));
    expect(last().openKfid).toBe('$account');
  });

  test('metrics come from the catalog with Chinese and English labels', async () => {
    const user = userEvent.setup();
    const { last } = renderQueryEditor({ openKfid: 'wkSIM0001presales', metrics: [] });
    await user.click(screen.getByRole('combobox', { name: 'Metrics' }));
    expect(await screen.findByText('咨询会话数 · Sessions')).toBeTruthy();
    await user.click(screen.getByText('转人工率 · Transfer to human'));
    expect(last().metrics).toEqual(['ai_transfer_rate']);
  });

  test('the corp metric picker offers no reply rate, first reply or satisfaction (page 95492)', async () => {
    const user = userEvent.setup();
    renderQueryEditor({ endpoint: 'corp', openKfid: 'wkSIM0001presales', metrics: [] });
    await user.click(screen.getByRole('combobox', { name: 'Metrics' }));
    expect(await screen.findByText('转人工率 · Transfer to human')).toBeTruthy();
    for (const label of [
      '人工回复率 · Reply rate',
      '平均首次回复时长 · Average first reply',
      '满意率 · Satisfied',
      '接入人工会话数 · Human sessions',
    ]) {
      expect(screen.queryByText(label), label).toBeNull();
    }
  });

  test('the servicer metric picker offers the human-service metrics and no bot metric (page 96433)', async () => {
    const user = userEvent.setup();
    // No account: the servicer list is not loaded, so later tests count only their own calls.
    const { last } = renderQueryEditor({ endpoint: 'servicer', metrics: [] });
    await user.click(screen.getByRole('combobox', { name: 'Metrics' }));
    expect(await screen.findByText('平均首次回复时长 · Average first reply')).toBeTruthy();
    expect(screen.queryByText('转人工率 · Transfer to human')).toBeNull();
    expect(screen.queryByText('智能回复会话数 · Bot sessions')).toBeNull();
    await user.click(screen.getByText('人工回复率 · Reply rate'));
    expect(last().metrics).toEqual(['reply_rate']);
  });

  test('switching from servicer to corp statistics drops the human-service metrics', async () => {
    const user = userEvent.setup();
    // No account: the servicer list is not loaded, so later tests count only their own calls.
    const { last } = renderQueryEditor({ endpoint: 'servicer', metrics: ['session_cnt', 'reply_rate', 'satisfied_rate'] });
    await user.click(screen.getByLabelText('Corp'));
    expect(last()).toMatchObject({ endpoint: 'corp', metrics: ['session_cnt'] });
  });

  test('switching to component statistics drops the account and the metrics it lacks', async () => {
    const user = userEvent.setup();
    const { last } = renderQueryEditor({ openKfid: 'wkSIM0001presales', metrics: ['session_cnt', 'ai_transfer_rate'] });
    await user.click(screen.getByLabelText('Component'));
    expect(last()).toMatchObject({ endpoint: 'component', openKfid: undefined, metrics: ['session_cnt'] });
    expect(screen.queryByRole('combobox', { name: 'Account' })).toBeNull();
  });

  test('the servicer picker lists the servicers of the chosen account', async () => {
    const user = userEvent.setup();
    const { last } = renderQueryEditor({ endpoint: 'servicer', openKfid: 'wkSIM0003membership' });
    await waitFor(() => expect(sim.callCount('/cgi-bin/kf/servicer/list')).toBe(1));
    await user.click(screen.getByRole('combobox', { name: 'Servicer' }));
    const menu = await screen.findByText('zhoujie');
    await user.click(menu);
    expect(last().servicerUserid).toBe('zhoujie');
  });

  test('format, rows, no-data days and labels are one click each', async () => {
    const user = userEvent.setup();
    const { last } = renderQueryEditor({ openKfid: 'wkSIM0001presales' });
    await user.click(screen.getByLabelText('Table'));
    await user.click(screen.getByLabelText('Range total'));
    await user.click(screen.getByLabelText('Zero counts'));
    await user.click(screen.getByLabelText('中文'));
    expect(last()).toMatchObject({ format: 'table', aggregation: 'total', fillPolicy: 'zero', language: 'zh' });
  });

  test("a failure to load accounts is shown with WeCom's hint", async () => {
    sim.inject({ kind: 'errcode', errcode: 48002, errmsg: 'api forbidden', path: '/cgi-bin/kf/account/list' });
    renderQueryEditor();
    const alert = await screen.findByText(/Could not load accounts\..*errcode 48002/);
    expect(within(alert).queryByText(sim.fixtures.selfBuilt.corpSecret)).toBeNull();
  });
});
