/**
 * The node's parameters, resource -> operation style. Metric pickers are built from core's
 * catalog (nothing re-lists metrics by hand); account and servicer pickers load from the API.
 */
import { LIMITS, metricsFor, metricLabel, type StatisticsEndpoint } from '@wecom-kf-stats/core';
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/** Statistics operations and the core endpoint each one reads. */
export const STATISTICS_OPERATIONS: Record<string, StatisticsEndpoint> = {
  getComponentStatistics: 'component',
  getCorpStatistics: 'corp',
  getServicerStatistics: 'servicer',
};

/** What each endpoint's metric list lacks (WeCom's pages 95492 and 96433), said beside its picker. */
const METRIC_NOTES: Record<StatisticsEndpoint, string> = {
  component: '',
  corp: ' Corp statistics have no reply rate, first reply or satisfaction: get servicer statistics without a servicer for those.',
  servicer: " Servicer statistics have no bot fields; without a servicer they are the account's total of human service.",
};

const statisticsOnly = { resource: ['statistics'] };
const needsAccount = ['getCorpStatistics', 'getServicerStatistics'];

function metricOptions(endpoint: StatisticsEndpoint): INodePropertyOptions[] {
  return metricsFor(endpoint)
    .map((m) => ({ name: `${m.label.en} (${metricLabel(m.key, 'zh')})`, value: m.key, description: `${m.key}: ${m.description.en}` }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Parameter names the node reads, with the label users see (used in error messages). */
export const PARAMETER_LABELS: Record<string, string> = {
  resource: 'Resource',
  operation: 'Operation',
  openKfid: 'Account',
  servicerUserid: 'Servicer',
  range: 'Range',
  lastDays: 'Last N Days',
  fromDate: 'From Date',
  toDate: 'To Date',
  metrics: 'Metrics',
  output: 'Output',
  'options.windowPolicy': 'Outside the Data Window',
  'options.fillPolicy': 'Days Without Data',
  'options.includeWarnings': 'Include Warnings',
  'options.fieldNames': 'Field Names',
};

export const nodeProperties: INodeProperties[] = [
  {
    displayName: 'Authentication',
    name: 'authentication',
    type: 'options',
    noDataExpression: true,
    options: [
      { name: 'Access Token', value: 'accessToken', description: 'An access_token obtained elsewhere' },
      { name: 'Self-Built App', value: 'selfBuilt', description: 'Corp ID + app secret (corp and servicer statistics, lists)' },
      { name: 'Service Provider', value: 'serviceProvider', description: 'Suite + authorizing corp (needed for component statistics)' },
      {
        name: 'Token Service (KF Stats Server)',
        value: 'tokenService',
        description: 'Tokens from your wecom-kf-stats server, which receives the suite tickets: any statistics, no ticket or secret in n8n',
      },
    ],
    default: 'selfBuilt',
  },
  {
    displayName: 'Resource',
    name: 'resource',
    type: 'options',
    noDataExpression: true,
    options: [
      { name: 'Account', value: 'account', description: 'Customer-service (KF) accounts' },
      { name: 'Servicer', value: 'servicer', description: 'Servicers (接待人员) of an account' },
      { name: 'Statistic', value: 'statistics', description: 'Daily customer-service statistics' },
    ],
    default: 'statistics',
  },
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: statisticsOnly },
    options: [
      {
        name: 'Get Component Statistics',
        value: 'getComponentStatistics',
        action: 'Get component statistics',
        description: 'Statistics of the consultations that came through your provider links (kf/get_statistic)',
      },
      {
        name: 'Get Corp Statistics',
        value: 'getCorpStatistics',
        action: 'Get corp statistics of an account',
        description:
          'Sessions, customers, messages and the bot of one customer-service account (kf/get_corp_statistic). No reply rate, first reply or satisfaction: get servicer statistics without a servicer for those.',
      },
      {
        name: 'Get Servicer Statistics',
        value: 'getServicerStatistics',
        action: 'Get servicer statistics of an account',
        description:
          'Human service (reply rate, first reply, satisfaction) of one servicer, or of the whole account when no servicer is given (kf/get_servicer_statistic)',
      },
    ],
    default: 'getCorpStatistics',
  },
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['account'] } },
    options: [
      { name: 'Get Many', value: 'getAll', action: 'List customer service accounts', description: 'Every KF account (kf/account/list)' },
    ],
    default: 'getAll',
  },
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['servicer'] } },
    options: [
      {
        name: 'Get Many',
        value: 'getAll',
        action: 'List servicers of an account',
        description: 'Servicers of one account (kf/servicer/list)',
      },
    ],
    default: 'getAll',
  },
  {
    displayName: 'Account Name or ID',
    name: 'openKfid',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getAccounts' },
    default: '',
    required: true,
    displayOptions: { show: { resource: ['statistics'], operation: needsAccount } },
    description:
      'The customer-service account (open_kfid, "wk…"). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
  },
  {
    displayName: 'Account Name or ID',
    name: 'openKfid',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getAccounts' },
    default: '',
    required: true,
    displayOptions: { show: { resource: ['servicer'] } },
    description:
      'The customer-service account (open_kfid, "wk…"). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
  },
  {
    displayName: 'Servicer Name or ID',
    name: 'servicerUserid',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getServicers', loadOptionsDependsOn: ['openKfid'] },
    default: '',
    displayOptions: { show: { resource: ['statistics'], operation: ['getServicerStatistics'] } },
    description:
      'One servicer (userid; open_userid for third-party apps), or empty for all servicers of the account together: the account\'s total of human service. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
  },
  {
    displayName: 'Range',
    name: 'range',
    type: 'options',
    displayOptions: { show: statisticsOnly },
    options: [
      { name: 'Yesterday', value: 'yesterday', description: 'Yesterday in China time (data is ready after 06:00 China time)' },
      { name: 'Last N Days', value: 'lastDays', description: 'The last N full days, ending yesterday' },
      { name: 'Dates', value: 'dates', description: 'From one China date to another, inclusive' },
    ],
    default: 'yesterday',
  },
  {
    displayName: 'Last N Days',
    name: 'lastDays',
    type: 'number',
    typeOptions: { minValue: 1, maxValue: LIMITS.windowDays },
    default: 7,
    displayOptions: { show: { ...statisticsOnly, range: ['lastDays'] } },
    description: `How many full days, ending yesterday (WeCom keeps ${LIMITS.windowDays} days)`,
  },
  {
    displayName: 'From Date',
    name: 'fromDate',
    type: 'string',
    default: '',
    required: true,
    placeholder: '2026-10-01',
    displayOptions: { show: { ...statisticsOnly, range: ['dates'] } },
    description:
      'First day, inclusive, as a China date YYYY-MM-DD (also: "yesterday", "7 days ago", an ISO date-time with offset, epoch seconds or ms)',
  },
  {
    displayName: 'To Date',
    name: 'toDate',
    type: 'string',
    default: '',
    placeholder: '2026-10-31',
    displayOptions: { show: { ...statisticsOnly, range: ['dates'] } },
    description: 'Last day, inclusive, as a China date YYYY-MM-DD; empty means yesterday',
  },
  ...(Object.entries(STATISTICS_OPERATIONS).map(([operation, endpoint]) => ({
    displayName: 'Metrics',
    name: 'metrics',
    type: 'multiOptions',
    options: metricOptions(endpoint),
    default: [],
    displayOptions: { show: { ...statisticsOnly, operation: [operation] } },
    description: `Metrics to output; none selected means every metric (unknown new fields are kept too).${METRIC_NOTES[endpoint]}`,
  })) satisfies INodeProperties[]),
  {
    displayName: 'Output',
    name: 'output',
    type: 'options',
    displayOptions: { show: statisticsOnly },
    options: [
      { name: 'One Item per Day', value: 'days', description: 'Flat items: date, stat_time, has_data, then each metric' },
      { name: 'One Summary Item', value: 'summary', description: 'Counts summed, rates weighted by their denominators' },
    ],
    default: 'days',
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show: statisticsOnly },
    options: [
      {
        displayName: 'Days Without Data',
        name: 'fillPolicy',
        type: 'options',
        options: [
          { name: 'Keep With Null Metrics', value: 'null', description: 'No data is not zero: metrics are null' },
          { name: 'Leave Out', value: 'omit', description: 'Only days that have data' },
          { name: 'Zero the Counts', value: 'zero', description: 'Counts 0; rates and averages stay null (not computable)' },
        ],
        default: 'null',
        description: 'What a per-day item holds for a day WeCom has no statistic for (the summary always counts only days with data)',
      },
      {
        displayName: 'Field Names',
        name: 'fieldNames',
        type: 'options',
        options: [
          { name: 'API Keys', value: 'key', description: 'The API field names: session_cnt, reply_rate, …' },
          { name: 'English Labels', value: 'en', description: 'Labels such as Sessions, Reply rate, …' },
          { name: 'Chinese Labels', value: 'zh', description: 'Labels such as 咨询会话数, 人工回复率, …' },
        ],
        default: 'key',
      },
      {
        displayName: 'Include Warnings',
        name: 'includeWarnings',
        type: 'boolean',
        default: true,
        description: 'Whether to add a warnings field (range clamped to the window, rates above 1, days not ready yet)',
      },
      {
        displayName: 'Outside the Data Window',
        name: 'windowPolicy',
        type: 'options',
        options: [
          { name: 'Clamp With a Warning', value: 'clamp', description: 'Cut the range to the last 180 days … yesterday' },
          { name: 'Fail', value: 'strict', description: 'Any day outside the window is an error' },
        ],
        default: 'clamp',
        description: 'WeCom answers only days from 180 days ago to yesterday (China time)',
      },
    ],
  },
];
