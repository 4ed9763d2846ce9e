/**
 * Core errors as n8n errors. Bad input becomes a NodeOperationError that names the parameter as
 * the user sees it; anything WeCom or the network said becomes a NodeApiError carrying WeCom's
 * errcode and the English and Chinese hint. Messages come from core, already redacted.
 */
import {
  HttpStatusError,
  IncompleteFetchError,
  ValidationError,
  WecomApiError,
  isWecomStatsError,
  redactText,
  type ErrcodeCategory,
} from '@wecom-kf-stats/core';
import { NodeApiError, NodeOperationError, type Failure, type IDataObject, type INode, type JsonObject } from 'n8n-workflow';
import { PARAMETER_LABELS } from './description';

/** Core's field names for what the user set in the node's parameters. */
const CORE_FIELD_TO_PARAMETER: Record<string, string> = {
  from: 'fromDate',
  to: 'toDate',
  last: 'lastDays',
  openKfid: 'openKfid',
  servicerUserid: 'servicerUserid',
  metrics: 'metrics',
  windowPolicy: 'options.windowPolicy',
  range: 'range',
  output: 'output',
  'options.fillPolicy': 'options.fillPolicy',
  'options.fieldNames': 'options.fieldNames',
};

/** Why it failed, for n8n's retry and alerting logic, from core's errcode category (docs/wecom-api.md §5). */
const FAILURE_OF_CATEGORY: Partial<Record<ErrcodeCategory, Failure>> = {
  rate_limit: { cause: 'rate-limited' },
  transient: { cause: 'temporarily-unavailable' },
  credentials: { cause: 'credential-invalid' },
  token: { cause: 'credential-invalid' },
  authorization: { cause: 'credential-invalid' },
  permission: { cause: 'configuration-invalid' },
  ip_not_trusted: { cause: 'configuration-invalid' },
  account: { cause: 'configuration-invalid' },
};

/** Core's client option paths for what the user set in the credential. */
const CREDENTIAL_FIELD_LABELS: Record<string, string> = {
  'auth.corpId': 'Corp ID',
  'auth.corpSecret': 'App Secret',
  'auth.suiteId': 'Suite ID',
  'auth.suiteSecret': 'Suite Secret',
  'auth.suiteTicket': 'Suite Ticket',
  'auth.authCorpId': 'Authorizing Corp ID',
  'auth.permanentCode': 'Permanent Code',
  'auth.accessToken': 'Access Token',
  baseUrl: 'Base URL',
  // The token service credential (./token-service.ts).
  serverUrl: 'Server URL',
  source: 'Source',
  apiKey: 'API Key',
};

/**
 * Why a call answered with an HTTP status failed, for n8n's retry and alerting logic. WeCom
 * itself always answers 200: these come from a proxy, a gateway or a token service, whose 401 and
 * 403 refuse the key (retrying cannot help) and whose 400 and 404 say the address is wrong.
 */
function failureOfStatus(status: number): Failure {
  if (status === 401 || status === 403) return { cause: 'credential-invalid' };
  if (status === 400 || status === 404) return { cause: 'configuration-invalid' };
  return { cause: 'temporarily-unavailable' };
}

export function parameterOfField(field: string): { name: string; label: string } | undefined {
  const name = CORE_FIELD_TO_PARAMETER[field];
  if (name === undefined) return undefined;
  return { name, label: PARAMETER_LABELS[name] ?? name };
}

/** Core's message with the field called as n8n shows it: `Invalid parameter "From Date" (fromDate): …`. */
export function validationMessage(error: ValidationError): string {
  const parameter = parameterOfField(error.field);
  if (parameter) return error.format(`parameter "${parameter.label}" (${parameter.name})`);
  const option = error.field.startsWith('options.') ? error.field.slice('options.'.length) : error.field;
  const credentialLabel = CREDENTIAL_FIELD_LABELS[option];
  if (credentialLabel !== undefined) {
    const name = option.startsWith('auth.') ? option.slice('auth.'.length) : option;
    return error.format(`credential field "${credentialLabel}" (${name})`);
  }
  return error.message;
}

export function toNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
  if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
  const cause = error instanceof IncompleteFetchError ? error.cause : error;
  if (error instanceof ValidationError) {
    return new NodeOperationError(node, validationMessage(error), {
      itemIndex,
      description: `Allowed: ${error.allowed}`,
      failure: { cause: 'configuration-invalid' },
    });
  }
  if (cause instanceof WecomApiError) {
    const response: JsonObject = { errcode: cause.errcode, errmsg: cause.errmsg };
    const failure = FAILURE_OF_CATEGORY[cause.category];
    return new NodeApiError(node, response, {
      itemIndex,
      message: (error as Error).message,
      description: `${cause.hint.en}\n${cause.hint.zh}`,
      ...(failure ? { failure } : {}),
    });
  }
  if (cause instanceof HttpStatusError && isWecomStatsError(error)) {
    return new NodeApiError(node, { code: error.code, message: error.message } as JsonObject, {
      itemIndex,
      message: error.message,
      httpCode: String(cause.status),
      failure: failureOfStatus(cause.status),
    });
  }
  if (isWecomStatsError(error)) {
    return new NodeApiError(node, { code: error.code, message: error.message } as JsonObject, {
      itemIndex,
      message: error.message,
      ...(error.code === 'TIMEOUT' || error.code === 'TRANSPORT' ? { failure: { cause: 'temporarily-unavailable' } as Failure } : {}),
    });
  }
  const message = redactText(error instanceof Error ? error.message : String(error));
  return new NodeOperationError(node, message, { itemIndex });
}

/** The json of an error item under continueOnFail: what failed, WeCom's code and hint. */
export function errorJson(error: NodeApiError | NodeOperationError, original: unknown): IDataObject {
  const json: IDataObject = { error: error.message };
  if (error.description) json.description = error.description;
  const cause = original instanceof IncompleteFetchError ? original.cause : original;
  if (isWecomStatsError(original)) json.code = original.code;
  if (cause instanceof WecomApiError) {
    json.errcode = cause.errcode;
    json.hint = { en: cause.hint.en, zh: cause.hint.zh };
  }
  if (original instanceof ValidationError) {
    const parameter = parameterOfField(original.field);
    json.parameter = parameter?.name ?? original.field;
  }
  if (original instanceof IncompleteFetchError) json.missing_days = original.missingDays;
  return json;
}
