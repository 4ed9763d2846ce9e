// Helper of verify-real-n8n.sh, one workflow per credential type (service provider, self-built
// app, access token, token service of a wecom-kf-stats server).
// Without --check: starts the simulator and a wecom-kf-stats server in child processes (they must
// outlive this script), writes the four credentials and workflows. With --check: reads n8n's
// execution output of each, compares the items with the simulator's data, stops both processes.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [repo, work] = process.argv.slice(2);
const check = process.argv.includes('--check');
const stopOnly = process.argv.includes('--stop');
const sim = await import(pathToFileURL(join(repo, 'packages/simulator/dist/index.js')).href);
const { suite, selfBuilt, accounts } = sim.defaultFixtures;
const PORT = 18_932;
const SERVER_PORT = 18_933;
const simulatorUrl = `http://127.0.0.1:${PORT}`;
const SERVER_KEY = 'real-n8n-token-key-0123456789';
const ACCOUNT = accounts[0].open_kfid;

/** What each run asks for, and the secrets that must not appear in its output. */
const RUNS = [
  {
    id: 'serviceProvider',
    credentialType: 'wecomKfServiceProviderApi',
    operation: 'getComponentStatistics',
    endpoint: 'component',
    corpId: suite.authCorpId,
    days: 180,
    data: () => ({
      baseUrl: simulatorUrl,
      suiteId: suite.suiteId,
      suiteSecret: suite.suiteSecret,
      suiteTicket: suite.suiteTicket,
      authCorpId: suite.authCorpId,
      permanentCode: suite.permanentCode,
    }),
    secrets: [suite.suiteSecret, suite.suiteTicket, suite.permanentCode],
  },
  {
    id: 'selfBuilt',
    credentialType: 'wecomKfSelfBuiltApi',
    operation: 'getCorpStatistics',
    endpoint: 'corp',
    corpId: selfBuilt.corpId,
    openKfid: ACCOUNT,
    days: 31,
    data: () => ({ baseUrl: simulatorUrl, corpId: selfBuilt.corpId, corpSecret: selfBuilt.corpSecret }),
    secrets: [selfBuilt.corpSecret],
  },
  {
    id: 'accessToken',
    credentialType: 'wecomKfAccessTokenApi',
    operation: 'getServicerStatistics',
    endpoint: 'servicer',
    corpId: selfBuilt.corpId,
    openKfid: ACCOUNT,
    days: 7,
    data: async () => ({ baseUrl: simulatorUrl, accessToken: await simulatorToken() }),
    secrets: [],
  },
  {
    id: 'tokenService',
    credentialType: 'wecomKfTokenServiceApi',
    operation: 'getCorpStatistics',
    endpoint: 'corp',
    corpId: selfBuilt.corpId,
    openKfid: ACCOUNT,
    days: 14,
    data: () => ({
      baseUrl: simulatorUrl,
      serverUrl: `http://127.0.0.1:${SERVER_PORT}`,
      source: 'acme',
      corpId: selfBuilt.corpId,
      apiKey: SERVER_KEY,
      headerName: 'Authorization',
    }),
    secrets: [SERVER_KEY, selfBuilt.corpSecret],
  },
];

/** A corp token from the simulator, as a company's own backend would hand one to n8n. */
async function simulatorToken() {
  const url = `${simulatorUrl}/cgi-bin/gettoken?corpid=${selfBuilt.corpId}&corpsecret=${selfBuilt.corpSecret}`;
  const answer = await (await fetch(url)).json();
  if (!answer.access_token) throw new Error(`the simulator gave no token: ${JSON.stringify(answer)}`);
  writeFileSync(join(work, 'access-token'), answer.access_token);
  return answer.access_token;
}

function isJson(text) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`${url} did not answer`);
}

/** Whether something answers at `url` already (a process left from another run). */
async function answers(url) {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

/** A helper process that outlives this script; its output goes to `<work>/<name>.log`. */
function startDetached(name, args, env = {}) {
  const out = openSync(join(work, `${name}.log`), 'w');
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  child.unref();
  writeFileSync(join(work, `${name}.pid`), String(child.pid));
}

const stop = (name) => {
  try {
    process.kill(Number(readFileSync(join(work, `${name}.pid`), 'utf8')));
  } catch {}
};

if (stopOnly) {
  stop('server');
  stop('simulator');
} else if (!check) {
  for (const url of [simulatorUrl, `http://127.0.0.1:${SERVER_PORT}/healthz`])
    if (await answers(url)) throw new Error(`${url} answers already: stop the process left from another run first`);
  startDetached('simulator', [join(repo, 'packages/simulator/bin/wecom-kf-simulator.js'), '--port', String(PORT)]);
  await waitFor(simulatorUrl);
  // A wecom-kf-stats server for the token service credential: one self-built source on the simulator.
  const store = join(work, 'server-store');
  rmSync(store, { recursive: true, force: true });
  mkdirSync(store, { recursive: true });
  writeFileSync(
    join(work, 'server.config.json'),
    JSON.stringify({
      store,
      listen: { host: '127.0.0.1', port: SERVER_PORT },
      apiKeysEnv: 'REAL_N8N_API_KEYS',
      tokenApiKeysEnv: 'REAL_N8N_TOKEN_KEYS',
      baseUrl: simulatorUrl,
      sources: [
        { id: 'acme', collect: ['corp'], auth: { type: 'selfBuilt', corpId: selfBuilt.corpId, corpSecretEnv: 'REAL_N8N_CORP_SECRET' } },
      ],
    }),
  );
  startDetached('server', [join(repo, 'apps/server/bin/wecom-kf-stats-server.js'), 'serve', '--config', join(work, 'server.config.json')], {
    REAL_N8N_API_KEYS: 'real-n8n-read-key-0123456789',
    REAL_N8N_TOKEN_KEYS: SERVER_KEY,
    REAL_N8N_CORP_SECRET: selfBuilt.corpSecret,
  });
  await waitFor(`http://127.0.0.1:${SERVER_PORT}/healthz`);

  const example = JSON.parse(readFileSync(join(repo, 'apps/n8n-nodes/examples/daily-component-statistics.workflow.json'), 'utf8'));
  const credentials = [];
  for (const run of RUNS) {
    const credential = {
      id: `wecomKfReal${run.id}`,
      name: `WeCom simulator (${run.id})`,
      type: run.credentialType,
      data: await run.data(),
    };
    credentials.push(credential);
    const workflow = structuredClone(example);
    for (const node of workflow.nodes) {
      // `n8n execute` cannot start from a Schedule Trigger.
      if (node.type === 'n8n-nodes-base.scheduleTrigger')
        Object.assign(node, { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} });
      else {
        node.credentials = { [run.credentialType]: { id: credential.id, name: credential.name } };
        Object.assign(node.parameters, {
          authentication: run.id,
          operation: run.operation,
          ...(run.openKfid ? { openKfid: run.openKfid } : {}),
          range: 'lastDays',
          lastDays: run.days,
          output: 'days',
          options: { includeWarnings: true, windowPolicy: 'clamp' },
        });
      }
    }
    writeFileSync(join(work, `workflow-${run.id}.json`), JSON.stringify([{ ...workflow, id: `wecomKfRun${run.id}`, active: false }]));
  }
  writeFileSync(join(work, 'credentials.json'), JSON.stringify(credentials));
  console.log(RUNS.map((r) => r.id).join(' '));
} else {
  const problems = [];
  try {
    // Same seed, same clock: an in-process simulator knows what the one n8n called answered.
    const oracle = await sim.startSimulator({ port: 0 });
    try {
      for (const run of RUNS) {
        const text = readFileSync(join(work, `execution-${run.id}.json`), 'utf8');
        // The execution is the JSON object that ends the output; log lines come before it.
        const start = [text.lastIndexOf('\n{"'), text.indexOf('{')].find((i) => i >= 0 && isJson(text.slice(i))) ?? -1;
        if (start < 0) {
          problems.push(`${run.id}: n8n printed no execution (its output: ${work}/execution-${run.id}.json, its log: ${work}/verify.log)`);
          continue;
        }
        const execution = JSON.parse(text.slice(start));
        const node = Object.entries(execution.data.resultData.runData).find(([name]) => name !== 'Every day at 06:30')[1][0];
        if (node.error) {
          problems.push(`${run.id}: the node failed: ${node.error.message}`);
          continue;
        }
        const items = node.data.main[0].map((i) => i.json);
        const found = [];
        if (items.length !== run.days) found.push(`expected ${run.days} items, got ${items.length}`);
        for (const item of items) {
          const expected = oracle.expectedStatistic({
            endpoint: run.endpoint,
            corpId: run.corpId,
            openKfid: run.openKfid,
            date: item.date,
          });
          if (Boolean(expected) !== item.has_data) found.push(`${item.date}: has_data ${item.has_data}, simulator ${Boolean(expected)}`);
          for (const [key, value] of Object.entries(expected ?? {})) {
            if (item[key] !== value) found.push(`${item.date} ${key}: ${item[key]} from n8n, ${value} from the simulator`);
          }
        }
        const secrets = [...run.secrets];
        if (run.id === 'accessToken') secrets.push(readFileSync(join(work, 'access-token'), 'utf8'));
        if (secrets.some((secret) => text.includes(secret))) found.push('a secret appears in the execution output');
        const withData = items.filter((i) => i.has_data).length;
        console.log(
          `${found.length ? '❌' : '✅'} ${run.id}: ${items.length} items (${items[0]?.date} .. ${items.at(-1)?.date}), ${withData} with data, every value ${found.length ? 'NOT ' : ''}equal to the simulator's`,
        );
        problems.push(...found.slice(0, 10).map((p) => `${run.id}: ${p}`));
      }
    } finally {
      await oracle.close();
    }
  } finally {
    stop('server');
    stop('simulator');
  }
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exitCode = 1;
  }
}
