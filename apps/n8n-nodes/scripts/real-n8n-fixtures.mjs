// Helper of verify-real-n8n.sh. Without --check: starts the simulator in a child process (it must
// outlive this script), writes the credential and the workflow. With --check: reads n8n's
// execution output, compares the items with the simulator's data, stops the simulator.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [repo, work] = process.argv.slice(2);
const check = process.argv.includes('--check');
const sim = await import(pathToFileURL(join(repo, 'packages/simulator/dist/index.js')).href);
const { suite } = sim.defaultFixtures;
const PORT = 18_932;
const DAYS = 180;

if (!check) {
  const child = spawn(process.execPath, [join(repo, 'packages/simulator/bin/wecom-kf-simulator.js'), '--port', String(PORT)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  writeFileSync(join(work, 'simulator.pid'), String(child.pid));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  writeFileSync(
    join(work, 'credentials.json'),
    JSON.stringify([
      {
        id: 'wecomKfRealCred1',
        name: 'WeCom simulator (service provider)',
        type: 'wecomKfServiceProviderApi',
        data: {
          baseUrl: `http://127.0.0.1:${PORT}`,
          suiteId: suite.suiteId,
          suiteSecret: suite.suiteSecret,
          suiteTicket: suite.suiteTicket,
          authCorpId: suite.authCorpId,
          permanentCode: suite.permanentCode,
        },
      },
    ]),
  );
  const example = JSON.parse(readFileSync(join(repo, 'apps/n8n-nodes/examples/daily-component-statistics.workflow.json'), 'utf8'));
  for (const node of example.nodes) {
    if (node.type === 'n8n-nodes-base.scheduleTrigger')
      Object.assign(node, { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} });
    else {
      node.credentials = { wecomKfServiceProviderApi: { id: 'wecomKfRealCred1', name: 'WeCom simulator (service provider)' } };
      Object.assign(node.parameters, {
        range: 'lastDays',
        lastDays: DAYS,
        output: 'days',
        options: { includeWarnings: true, windowPolicy: 'clamp' },
      });
    }
  }
  writeFileSync(join(work, 'workflow.json'), JSON.stringify([{ ...example, id: 'wecomKfRealRun1', active: false }]));
} else {
  const stopSimulator = () => {
    try {
      process.kill(Number(readFileSync(join(work, 'simulator.pid'), 'utf8')));
    } catch {}
  };
  try {
    const text = readFileSync(join(work, 'execution.json'), 'utf8');
    const run = JSON.parse(text.slice(text.indexOf('{')));
    const node = Object.entries(run.data.resultData.runData).find(([name]) => name !== 'Every day at 06:30')[1][0];
    const items = node.data.main[0].map((i) => i.json);
    const problems = [];
    if (items.length !== DAYS) problems.push(`expected ${DAYS} items, got ${items.length}`);
    // Same seed, same clock: an in-process simulator knows what the one n8n called answered.
    const oracle = await sim.startSimulator({ port: 0 });
    try {
      for (const item of items) {
        const expected = oracle.expectedStatistic({ endpoint: 'component', corpId: suite.authCorpId, date: item.date });
        if (Boolean(expected) !== item.has_data) problems.push(`${item.date}: has_data ${item.has_data}, simulator ${Boolean(expected)}`);
        for (const [key, value] of Object.entries(expected ?? {})) {
          if (item[key] !== value) problems.push(`${item.date} ${key}: ${item[key]} from n8n, ${value} from the simulator`);
        }
      }
    } finally {
      await oracle.close();
    }
    for (const secret of [suite.suiteSecret, suite.suiteTicket, suite.permanentCode])
      if (text.includes(secret)) problems.push('a secret appears in the execution output');
    const withData = items.filter((i) => i.has_data).length;
    console.log(
      `real n8n: ${items.length} items (${items[0]?.date} .. ${items.at(-1)?.date}), ${withData} with data, hints: ${node.hints.map((h) => h.message).join(' | ') || 'none'}`,
    );
    if (problems.length) {
      console.error(problems.join('\n'));
      process.exitCode = 1;
    }
  } finally {
    stopSimulator();
  }
}
