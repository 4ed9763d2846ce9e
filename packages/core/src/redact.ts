/**
 * Redaction of tokens, secrets, tickets and permanent codes from any text that leaves the library
 * (error messages, log lines, URLs). Two layers: known secret values registered by the auth
 * strategies, and patterns for credential-bearing query parameters and JSON fields.
 */

export const REDACTED = '[redacted]';

/**
 * Secrets alive now, with how many holders registered each. Configuration secrets stay for the
 * process's life; tokens are released when they are replaced, invalidated or expire, so the cost
 * of redaction follows the secrets in use, not every token ever seen.
 */
const knownSecrets = new Map<string, number>();

/** Secrets shorter than this are not registered: replacing them would garble ordinary text. */
const MIN_SECRET_LENGTH = 6;

/** Register values that must never appear in output (done by every auth strategy). */
export function registerSecret(...values: (string | undefined | null)[]): void {
  for (const value of values) {
    if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) knownSecrets.set(value, (knownSecrets.get(value) ?? 0) + 1);
  }
}

/** A holder no longer uses `value` (an expired or replaced token): forgotten when nobody does. */
export function releaseSecret(value: string): void {
  const holders = knownSecrets.get(value);
  if (holders === undefined) return;
  if (holders <= 1) knownSecrets.delete(value);
  else knownSecrets.set(value, holders - 1);
}

/** How many distinct secrets redaction checks now. */
export function registeredSecretCount(): number {
  return knownSecrets.size;
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
/** A WeCom group robot's webhook URL carries its secret as `?key=`. */
const paramPattern = new RegExp(`([?&](?:${[...SECRET_PARAMS, 'key'].join('|')})=)[^&#\\s"']*`, 'gi');
const jsonPattern = new RegExp(`("(?:${SECRET_PARAMS.join('|')})"\\s*:\\s*")[^"]*(")`, 'gi');

export function redactText(text: string): string {
  let out = text.replace(paramPattern, `$1${REDACTED}`).replace(jsonPattern, `$1${REDACTED}$2`);
  for (const secret of knownSecrets.keys()) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Option fields that hold secrets: their values are never echoed, even when malformed. */
const SECRET_FIELD =
  /(?:^|\.)(?:accessToken|corpSecret|suiteSecret|suiteTicket|permanentCode|headers\.[^.]+|access_token|corpsecret|suite_secret|suite_ticket|permanent_code|secret|token)$/i;

export function isSecretField(field: string): boolean {
  return SECRET_FIELD.test(field);
}
