/**
 * What a node shows when something failed: a short status text, and details put on the msg so a
 * Catch node can branch on them. The message of the error itself comes from core (redacted, with
 * the English and Chinese hint for WeCom errcodes).
 */
import { HttpStatusError, IncompleteFetchError, ValidationError, WecomApiError, isWecomStatsError } from '@wecom-kf-stats/core/node';

export interface FailureDetail {
  code: string;
  errcode?: number;
  hint?: { en: string; zh: string };
  /** The HTTP status of a proxy, gateway or token service (e.g. 403: a key that may not take tokens). */
  status?: number;
  field?: string;
  missingDays?: string[];
}

function innermost(error: unknown): unknown {
  return error instanceof IncompleteFetchError ? error.cause : error;
}

export function failureDetail(error: unknown): FailureDetail {
  const inner = innermost(error);
  const detail: FailureDetail = { code: isWecomStatsError(error) ? error.code : 'UNEXPECTED' };
  if (inner instanceof WecomApiError) {
    detail.errcode = inner.errcode;
    detail.hint = inner.hint;
  }
  if (inner instanceof HttpStatusError) detail.status = inner.status;
  if (error instanceof ValidationError) detail.field = error.field;
  if (error instanceof IncompleteFetchError) detail.missingDays = error.missingDays;
  return detail;
}

/** A few words for the node status under the node ("errcode 48002", "HTTP 403", "invalid msg.from"). */
export function failureStatus(error: unknown): string {
  const detail = failureDetail(error);
  if (detail.errcode !== undefined) return `errcode ${detail.errcode}`;
  if (detail.status !== undefined) return `HTTP ${detail.status}`;
  if (detail.field) return `invalid ${detail.field}`;
  return detail.code.toLowerCase().replace(/_/g, ' ');
}

/** A plain Error for anything that is not one of core's (a bug or a host failure). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
