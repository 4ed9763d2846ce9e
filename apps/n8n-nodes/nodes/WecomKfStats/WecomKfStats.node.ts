import { IncompleteFetchError, type KfStatsClient } from '@wecom-kf-stats/core';
import {
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';
import { CREDENTIAL_TYPES, createClient, type Authentication } from './client';
import { nodeProperties, STATISTICS_OPERATIONS } from './description';
import { errorJson, toNodeError } from './errors';
import { loadOptions } from './methods';
import { fetchStatistics, listAccounts, listServicers, readStatisticsRequest, statisticsItems, type StatisticsRequest } from './operations';
import { createHttpRequestTransport } from './transport';

export class WecomKfStats implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'WeCom KF Statistics',
    name: 'wecomKfStats',
    icon: { light: 'file:wecomKfStats.svg', dark: 'file:wecomKfStats.dark.svg' },
    group: ['input'],
    version: 1,
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description: 'WeCom WeChat customer-service (微信客服) statistics, accounts and servicers',
    defaults: { name: 'WeCom KF Statistics' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      {
        name: 'wecomKfSelfBuiltApi',
        required: true,
        displayOptions: { show: { authentication: ['selfBuilt'] } },
      },
      {
        name: 'wecomKfServiceProviderApi',
        required: true,
        displayOptions: { show: { authentication: ['serviceProvider'] } },
      },
      {
        name: 'wecomKfAccessTokenApi',
        required: true,
        displayOptions: { show: { authentication: ['accessToken'] } },
      },
      {
        name: 'wecomKfTokenServiceApi',
        required: true,
        displayOptions: { show: { authentication: ['tokenService'] } },
      },
    ],
    properties: nodeProperties,
  };

  methods = { loadOptions };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const output: INodeExecutionData[] = [];
    const signal = this.getExecutionCancelSignal();
    // One client per credential type for the whole execution: its day cache and token are shared
    // by every item (items looping over accounts make one gettoken call, not one per item).
    const clients = new Map<Authentication, KfStatsClient>();
    const clientFor = async (itemIndex: number): Promise<KfStatsClient> => {
      const authentication = this.getNodeParameter('authentication', itemIndex, 'selfBuilt') as Authentication;
      let client = clients.get(authentication);
      if (!client) {
        const credentials = await this.getCredentials(CREDENTIAL_TYPES[authentication], itemIndex);
        client = createClient({
          authentication,
          credentials,
          transport: createHttpRequestTransport((options) => this.helpers.httpRequest(options)),
        });
        clients.set(authentication, client);
      }
      return client;
    };
    const push = (json: IDataObject[], itemIndex: number) => {
      for (const item of json) output.push({ json: item, pairedItem: { item: itemIndex } });
    };

    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      let request: StatisticsRequest | undefined;
      try {
        const resource = this.getNodeParameter('resource', itemIndex) as string;
        const operation = this.getNodeParameter('operation', itemIndex) as string;
        if (resource === 'statistics' && operation in STATISTICS_OPERATIONS) {
          request = readStatisticsRequest(this, itemIndex, operation);
          const result = await fetchStatistics(await clientFor(itemIndex), request, signal);
          push(statisticsItems(request, result), itemIndex);
          if (result.warnings.length > 0) {
            this.addExecutionHints(...result.warnings.map((w) => ({ message: w.message, location: 'outputPane' as const })));
          }
        } else if (resource === 'account' && operation === 'getAll') {
          push(await listAccounts(await clientFor(itemIndex), signal), itemIndex);
        } else if (resource === 'servicer' && operation === 'getAll') {
          const openKfid = String(this.getNodeParameter('openKfid', itemIndex, '')).trim();
          push(await listServicers(await clientFor(itemIndex), openKfid === '' ? undefined : openKfid, signal), itemIndex);
        } else {
          throw new NodeOperationError(this.getNode(), `Unknown operation "${operation}" for resource "${resource}"`, { itemIndex });
        }
      } catch (error) {
        const nodeError = toNodeError(this.getNode(), error, itemIndex);
        if (!this.continueOnFail()) throw nodeError;
        // Keep every day that did arrive before the failure, then say what is missing.
        if (error instanceof IncompleteFetchError && request !== undefined) {
          push(statisticsItems(request, error.partial, error.missingDays), itemIndex);
        }
        output.push({ json: errorJson(nodeError, error), pairedItem: { item: itemIndex } });
      }
    }
    return [output];
  }
}
