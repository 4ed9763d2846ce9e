/**
 * Account and servicer dropdowns, through n8n-core's LoadOptionsContext and the real request
 * helpers, against the simulator.
 */
import { useSimulator } from '@wecom-kf-stats/test-utils';
import type { IDataObject } from 'n8n-workflow';
import { beforeAll, expect, test } from 'vitest';
import { loadOptions, singleNodeWorkflow } from './n8n-harness.mjs';
import { corpParameters, PRESALES, simulatorCredentials } from './fixtures.mjs';

const kf = useSimulator();
beforeAll(async () => {});

const workflow = (parameters: IDataObject) => singleNodeWorkflow(parameters, 'wecomKfSelfBuiltApi');

test('the account dropdown lists every KF account by name and open_kfid', async () => {
  const options = await loadOptions(
    'getAccounts',
    'parameters.openKfid',
    workflow(corpParameters({ openKfid: '' })),
    simulatorCredentials(kf.sim),
  );
  expect(options).toEqual(kf.sim.fixtures.accounts.map((a) => ({ name: `${a.name} (${a.open_kfid})`, value: a.open_kfid })));
});

test('the servicer dropdown lists the chosen account\'s servicers after "all servicers"', async () => {
  const options = await loadOptions(
    'getServicers',
    'parameters.servicerUserid',
    workflow(corpParameters({ operation: 'getServicerStatistics' })),
    simulatorCredentials(kf.sim),
  );
  expect(options).toEqual([
    { name: 'All Servicers of the Account', value: '' },
    ...kf.sim.fixtures.servicers[PRESALES]!.map((id) => ({ name: id, value: id })),
  ]);
});

test('a WeCom error while loading a dropdown is shown with its hint', async () => {
  kf.sim.inject({ kind: 'errcode', errcode: 48002, path: '/cgi-bin/kf/account/list' });
  await expect(
    loadOptions('getAccounts', 'parameters.openKfid', workflow(corpParameters({ openKfid: '' })), simulatorCredentials(kf.sim)),
  ).rejects.toMatchObject({
    name: 'NodeOperationError',
    message: expect.stringContaining('errcode 48002'),
    description: expect.stringContaining('可调用接口的应用'),
  });
});
