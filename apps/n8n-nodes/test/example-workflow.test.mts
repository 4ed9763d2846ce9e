/**
 * The example workflow shipped in the package, imported as a user would import it, its
 * credential pointed at the simulator, executed headless in n8n's execution engine.
 */
import { summarizeDays, type StatisticsDay } from '@wecom-kf-stats/core/internal';
import { useSimulator } from '@wecom-kf-stats/test-utils';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IWorkflowBase } from 'n8n-workflow';
import { beforeAll, expect, test } from 'vitest';
import { NODE_TYPE, packageDir, runWorkflow } from './n8n-harness.mjs';
import { chinaDaysAgo, simulatorCredentials } from './fixtures.mjs';

const examplePath = join(packageDir, 'examples', 'daily-component-statistics.workflow.json');
const exampleText = readFileSync(examplePath, 'utf8');

const kf = useSimulator();
beforeAll(async () => {});

test('the example carries no credentials and fires at 06:30 China time', () => {
  const workflow = JSON.parse(exampleText) as IWorkflowBase;
  expect(workflow.nodes.every((n) => n.credentials === undefined)).toBe(true);
  expect(exampleText).not.toMatch(/secret|ticket|permanent|access_?token/i);
  expect(workflow.settings?.timezone).toBe('Asia/Shanghai');
  expect(JSON.stringify(workflow.nodes[0]!.parameters)).toContain('30 6 * * *');
});

test("imported and run headless: one summary item of yesterday's component statistics", async () => {
  const workflow = JSON.parse(exampleText) as IWorkflowBase;
  // What a user does after importing: pick a credential of the type the node asks for.
  const statsNode = workflow.nodes.find((n) => n.type === NODE_TYPE)!;
  statsNode.credentials = { wecomKfServiceProviderApi: { id: '1', name: 'WeCom provider (simulator)' } };

  const firedAt = new Date();
  const result = await runWorkflow(workflow, {
    credentials: simulatorCredentials(kf.sim),
    // What a Schedule Trigger emits when its cron fires.
    input: [{ json: { timestamp: firedAt.toISOString(), 'Readable date': firedAt.toUTCString(), Timezone: 'Asia/Shanghai (UTC+08:00)' } }],
  });

  expect(result.run.status).toBe('success');
  const items = result.output("Yesterday's component statistics");
  expect(items).toHaveLength(1);
  expect(items[0]!.pairedItem).toEqual({ item: 0 });

  const yesterday = chinaDaysAgo(1);
  const statistic = kf.sim.expectedStatistic({ endpoint: 'component', corpId: kf.sim.fixtures.suite.authCorpId, date: yesterday }) ?? null;
  const expected = summarizeDays('component', [{ date: yesterday, stat_time: 0, statistic } as StatisticsDay]);
  expect(items[0]!.json).toMatchObject({ from: yesterday, to: yesterday, day_count: 1, days_with_data: expected.daysWithData });
  for (const [key, value] of Object.entries(expected.metrics)) expect(items[0]!.json[key]).toBe(value);
  // 10:00 China time on the pinned clock: yesterday is computed, so nothing to warn about.
  expect(items[0]!.json.warnings).toEqual([]);
  expect(kf.sim.callCount('/cgi-bin/kf/get_statistic')).toBe(1);
});
