import { type ValidationError } from '@wecom-kf-stats/core';

/** Bad usage or input: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a core option or query field is called on this command line. */
const FLAG_OF_FIELD: Record<string, string> = {
  from: '--from',
  to: '--to',
  last: '--last',
  endpoint: '--endpoint',
  openKfid: '--open-kfid',
  servicerUserid: '--servicer',
  windowPolicy: '--strict',
  metrics: '--metrics',
  'options.concurrency': '--concurrency',
  'options.baseUrl': '--base-url (or WECOM_BASE_URL)',
  'options.timeoutMs': '--timeout',
  'options.auth.corpId': 'WECOM_CORP_ID',
  'options.auth.corpSecret': 'WECOM_CORP_SECRET',
  'options.auth.accessToken': 'WECOM_ACCESS_TOKEN',
  'options.auth.suiteId': 'WECOM_SUITE_ID',
  'options.auth.suiteSecret': 'WECOM_SUITE_SECRET',
  'options.auth.suiteTicket': 'WECOM_SUITE_TICKET',
  'options.auth.authCorpId': 'WECOM_AUTH_CORP_ID',
  'options.auth.permanentCode': 'WECOM_PERMANENT_CODE',
  'options.auth.url': 'WECOM_TOKEN_SERVICE_URL',
};

/** A core ValidationError told with the flag or variable the user typed (core formats it). */
export function usageErrorFrom(error: ValidationError): UsageError {
  return new UsageError(error.format(FLAG_OF_FIELD[error.field] ?? error.field));
}
