/**
 * Redaction of tokens, secrets, tickets and permanent codes from any text that leaves the library
 * (error messages, log lines, URLs). Two layers: known secret values registered by the auth
 * strategies, and patterns for credential-bearing query parameters and JSON fields.
 */

export const REDACTED = '[redacted]';

const knownSecrets = new Set<string>();

/** Secrets shorter than this are not registered: replacing them would garble ordinary text. */
const MIN_SECRET_LENGTH = 6;

/** Register values that must never appear in output (done by every auth strategy). */
export function registerSecret(...values: (string | undefined | null)[]): void {
  for (const value of values) {
    if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) knownSecrets.add(value);
  }
}

const SECRET_PARAMS = [
  'access_token',
  'suite_access_token',
  'provider_access_token',
  'corpsecret',
  'suite_secret',
  'suite_ticket',
  'permanent_code',
  'secret',
  'token',
];
const paramPattern = new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi');
const jsonPattern = new RegExp(`("(?:${SECRET_PARAMS.join('|')})"\\s*:\\s*")[^"]*(")`, 'gi');

export function redactText(text: string): string {
  let out = text.replace(paramPattern, `$1${REDACTED}`).replace(jsonPattern, `$1${REDACTED}$2`);
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Option fields that hold secrets: their values are never echoed, even when malformed. */
const SECRET_FIELD = /(?:^|\.)(?:accessToken|corpSecret|suiteSecret|suiteTicket|permanentCode|headers\.[^.]+|access_token|corpsecret|suite_secret|suite_ticket|permanent_code|secret|token)$/i;

export function isSecretField(field: string): boolean {
  return SECRET_FIELD.test(field);
}
