/**
 * Credentials come only from environment variables (or a dotenv file given by path), never from
 * flags that land in shell history.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { AuthOptions } from '@wecom-kf-stats/core';
import { UsageError } from './usage-error.js';

export const CREDENTIAL_HELP = `Credentials (environment variables, or a dotenv file with --dotenv):
  WECOM_ACCESS_TOKEN                         an access_token you already hold
  WECOM_CORP_ID + WECOM_CORP_SECRET          a self-built app (gettoken)
  WECOM_SUITE_ID + WECOM_SUITE_SECRET + WECOM_SUITE_TICKET
    + WECOM_AUTH_CORP_ID + WECOM_PERMANENT_CODE   a service provider (component statistics)
  WECOM_TOKEN_SERVICE_URL [+ WECOM_TOKEN_SERVICE_HEADER="Name: value"]   a token service
  WECOM_BASE_URL                             API base URL (default https://qyapi.weixin.qq.com)`;

export type Env = Record<string, string | undefined>;

/** The process environment over the dotenv file: a variable set in the shell wins. */
export function loadEnv(processEnv: Env, dotenv: string | undefined): Env {
  if (dotenv === undefined) return processEnv;
  let text: string;
  try {
    text = readFileSync(dotenv, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Invalid --dotenv: ${JSON.stringify(dotenv)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). Allowed: a path to a readable dotenv file.`,
    );
  }
  return { ...parseEnv(text), ...processEnv };
}

const SUITE_VARS = ['WECOM_SUITE_ID', 'WECOM_SUITE_SECRET', 'WECOM_SUITE_TICKET', 'WECOM_AUTH_CORP_ID', 'WECOM_PERMANENT_CODE'] as const;

/** The credential sets, in the order help lists them; exactly one is used. */
const CREDENTIAL_SETS: { name: string; vars: readonly string[]; endpoints: readonly string[] }[] = [
  { name: 'an access token', vars: ['WECOM_ACCESS_TOKEN'], endpoints: ['corp', 'servicer'] },
  { name: 'a self-built app', vars: ['WECOM_CORP_ID', 'WECOM_CORP_SECRET'], endpoints: ['corp', 'servicer'] },
  { name: 'a service provider', vars: SUITE_VARS, endpoints: ['component'] },
  {
    name: 'a token service',
    vars: ['WECOM_TOKEN_SERVICE_URL', 'WECOM_TOKEN_SERVICE_HEADER'],
    endpoints: ['component', 'corp', 'servicer'],
  },
];

/**
 * The credentials to call with. Exactly one set, or, when a provider's suite set and a corp's set
 * are both given, the one `endpoint` needs (component statistics take the suite's, corp and
 * servicer statistics the corp's); without `endpoint` that is a question only the user can answer.
 * A command that takes no --endpoint (`accounts`, `servicers`) says so with `endpoint: null`: for
 * it, two sets are one too many.
 */
export function authFromEnv(env: Env, endpoint?: string | null): AuthOptions {
  const has = (name: string) => typeof env[name] === 'string' && env[name]!.trim() !== '';
  const given = CREDENTIAL_SETS.filter((set) => set.vars.some(has));
  if (given.length <= 1) return authOfSet(env);
  const named = given.map((set) => `${set.vars.filter(has).join(' + ')} (${set.name})`);
  const suiteAndCorp =
    given.length === 2 && given.some((set) => set.name === 'a service provider') && given.every((set) => set.name !== 'a token service');
  if (suiteAndCorp && endpoint === undefined)
    throw new UsageError(
      `Invalid --endpoint: missing. Allowed: component (with ${named.find((n) => n.includes('service provider'))}) or corp / servicer (with ${named.find((n) => !n.includes('service provider'))}); both kinds of credentials are set, so they do not say which statistics to fetch.`,
    );
  const fitting = suiteAndCorp && typeof endpoint === 'string' ? given.filter((set) => set.endpoints.includes(endpoint)) : given;
  if (fitting.length !== 1)
    throw new UsageError(
      `Invalid credentials: more than one set is given: ${named.join(' and ')}. Allowed: exactly one set; unset the others.`,
    );
  // Only the fitting set's variables: the other set is for the other kind of statistics.
  return authOfSet(Object.fromEntries(fitting[0]!.vars.filter(has).map((name) => [name, env[name]])));
}

function authOfSet(env: Env): AuthOptions {
  const has = (name: string) => typeof env[name] === 'string' && env[name]!.trim() !== '';
  const get = (name: string) => env[name]!.trim();
  if (has('WECOM_ACCESS_TOKEN')) return { type: 'token', accessToken: get('WECOM_ACCESS_TOKEN') };
  if (has('WECOM_CORP_ID') || has('WECOM_CORP_SECRET')) {
    const missing = ['WECOM_CORP_ID', 'WECOM_CORP_SECRET'].filter((n) => !has(n));
    if (missing.length)
      throw new UsageError(`Invalid credentials: ${missing.join(' and ')} missing. Allowed: WECOM_CORP_ID and WECOM_CORP_SECRET together.`);
    return { type: 'selfBuilt', corpId: get('WECOM_CORP_ID'), corpSecret: get('WECOM_CORP_SECRET') };
  }
  if (SUITE_VARS.some(has)) {
    const missing = SUITE_VARS.filter((n) => !has(n));
    if (missing.length)
      throw new UsageError(`Invalid credentials: ${missing.join(', ')} missing. Allowed: all of ${SUITE_VARS.join(', ')}.`);
    return {
      type: 'serviceProvider',
      suiteId: get('WECOM_SUITE_ID'),
      suiteSecret: get('WECOM_SUITE_SECRET'),
      suiteTicket: get('WECOM_SUITE_TICKET'),
      authCorpId: get('WECOM_AUTH_CORP_ID'),
      permanentCode: get('WECOM_PERMANENT_CODE'),
    };
  }
  if (has('WECOM_TOKEN_SERVICE_URL')) {
    const headers: Record<string, string> = {};
    if (has('WECOM_TOKEN_SERVICE_HEADER')) {
      const match = /^([A-Za-z0-9-]+)\s*:\s*(.+)$/.exec(get('WECOM_TOKEN_SERVICE_HEADER'));
      if (!match) throw new UsageError('Invalid WECOM_TOKEN_SERVICE_HEADER: [redacted]. Allowed: "Header-Name: value".');
      headers[match[1]!] = match[2]!;
    }
    return { type: 'tokenService', url: get('WECOM_TOKEN_SERVICE_URL'), headers };
  }
  throw new UsageError(
    'No credentials: set WECOM_ACCESS_TOKEN, or WECOM_CORP_ID + WECOM_CORP_SECRET, or WECOM_SUITE_ID + WECOM_SUITE_SECRET + WECOM_SUITE_TICKET + WECOM_AUTH_CORP_ID + WECOM_PERMANENT_CODE, or WECOM_TOKEN_SERVICE_URL (see --help).',
  );
}
