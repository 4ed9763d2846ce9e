/**
 * WeCom's side of a service provider's command callback (指令回调): URL verification, suite_ticket
 * pushes every few minutes, and the authorization events create_auth, change_auth and
 * cancel_auth, each encrypted and signed with WeCom's own `@wecom/crypto` (pages 90628, 90642,
 * 91144, 97172). The receive id of suite callbacks is the suite id.
 */

import { randomBytes, randomInt } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { encrypt, getSignature } from '@wecom/crypto';
import type { CorpDirectory } from './directory.js';
import type { SimulatorFixtures } from './fixtures.js';
import type { AuthCodeBook, SuiteTicketBook } from './suite-auth.js';
import type { TokenRegistry } from './tokens.js';

/** WeCom pushes a new suite_ticket this often (page 90628). */
export const DEFAULT_TICKET_INTERVAL_MINUTES = 10;
/** WeCom gives a callback 5 seconds to answer. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 5_000;
/** How often, in real milliseconds, the simulator reads its clock to see whether a push is due. */
export const DEFAULT_CLOCK_POLL_MS = 1_000;

/** What a delivery to the command callback URL carried. */
export type CallbackKind = 'verify_url' | 'suite_ticket' | 'create_auth' | 'change_auth' | 'cancel_auth';

export interface CallbackTarget {
  /** The provider's command callback URL (http or https); its own query string is kept. */
  url: string;
  /** The callback Token of the suite. */
  token: string;
  /** The callback EncodingAESKey of the suite: 43 characters of base64. */
  encodingAesKey: string;
  /** Receive id of the messages; default the fixture suite id. */
  suiteId?: string;
  /** Simulated minutes between automatic suite_ticket pushes; `false` for none. @default 10 */
  ticketIntervalMinutes?: number | false;
  /** Real milliseconds between looks at the simulator clock for a due push. @default 1000 */
  clockPollMs?: number;
  /** Real milliseconds a delivery may take before it counts as unanswered. @default 5000 */
  timeoutMs?: number;
  /** Called after every delivery, automatic ones included; an exception thrown there is ignored. */
  onDelivery?: (delivery: CallbackDelivery) => void;
}

export interface CallbackDelivery {
  kind: CallbackKind;
  /** True for the pushes the clock triggered. */
  automatic: boolean;
  method: 'GET' | 'POST';
  /** The callback URL, without the signature parameters. */
  url: string;
  /** The plain text that was encrypted: the echostr, or the inner XML of a POST. */
  message: string;
  /** HTTP status of the answer; 0 when there was none (refused, unreachable, timed out). */
  status: number;
  /** Body of the answer ('' without one). */
  body: string;
  /** Why there was no answer. */
  error?: string;
  /** Whether the answer is what WeCom expects: the plain echostr, or `success`. */
  ok: boolean;
  /** Simulator clock (epoch ms) when it was sent. */
  at: number;
}

export interface CallbackResult {
  status: number;
  body: string;
  ok: boolean;
  error?: string;
}

export interface TicketPush extends CallbackResult {
  /** The new suite_ticket: `get_suite_token` accepts it for 30 simulated minutes. */
  ticket: string;
}

export interface AuthorizeOptions {
  /** Corp id of the new corp; default a generated one. A corp that cancelled may authorize again. */
  corpId?: string;
  /** Its name, answered as `auth_corp_info.corp_name`. */
  corpName?: string;
  /** The `State` of the create_auth message; default ''. */
  state?: string;
  /** The accounts the corp authorizes for the KF component: sent as ExtraInfo.AuthOpenKfIdList (page 99401). Default: none sent. */
  openKfIds?: readonly string[];
}

export interface Authorization extends CallbackResult {
  authCorpId: string;
  corpName: string;
  /** The corp's permanent code, as `get_permanent_code` will answer it. */
  permanentCode: string;
  /** The one-time auth code sent with create_auth, valid 10 simulated minutes. */
  authCode: string;
}

/** The service provider's side of the simulator: WeCom calling the provider's callback URL. */
export interface SimulatorProvider {
  /** Sets the callback URL and its keys (replacing earlier ones) and starts automatic ticket pushes. */
  configure(target: CallbackTarget): void;
  /** The configured target, or undefined. */
  readonly target: Readonly<CallbackTarget> | undefined;
  /** Forgets the target and stops automatic pushes; deliveries in flight finish. */
  stop(): void;
  /** GETs the URL with an encrypted echostr as WeCom does; true when the answer is the plain echostr. */
  verifyUrl(): Promise<boolean>;
  /** Issues a new suite_ticket (valid 30 simulated minutes) and POSTs it. */
  pushTicket(): Promise<TicketPush>;
  /** A new corp authorizes the suite: it gets a permanent code and one-time auth code, then create_auth is POSTed. */
  authorize(options?: AuthorizeOptions): Promise<Authorization>;
  /** POSTs change_auth for an authorized corp (with the accounts it now authorizes, as ExtraInfo). */
  changeAuth(corpId: string, options?: { openKfIds?: readonly string[] }): Promise<CallbackResult>;
  /** The corp removes the suite: its permanent code and corp tokens stop working, then cancel_auth is POSTed. */
  cancelAuth(corpId: string): Promise<CallbackResult>;
  /** The newest pushed suite_ticket. */
  readonly latestTicket: string | undefined;
  /** Every delivery so far, in order of sending (entries are added when the answer is in). */
  readonly deliveries: readonly CallbackDelivery[];
  clearDeliveries(): void;
  /** Resolves once no delivery is in flight. */
  settled(): Promise<void>;
}

export interface ProviderDeps {
  now(): number;
  fixtures: SimulatorFixtures;
  directory: CorpDirectory;
  tokens: TokenRegistry;
  suiteTickets: SuiteTicketBook;
  authCodes: AuthCodeBook;
}

interface ResolvedTarget {
  target: Readonly<CallbackTarget>;
  url: URL;
  suiteId: string;
  intervalMs: number | undefined;
  pollMs: number;
  timeoutMs: number;
}

const MAX_ANSWER_BYTES = 64 * 1024;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/** Whether a text is a valid EncodingAESKey: 43 characters of base64 that decode to 32 bytes. */
export function isEncodingAesKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{43}$/.test(key) && Buffer.from(`${key}=`, 'base64').length === 32;
}

function resolveTarget(target: CallbackTarget, fixtures: SimulatorFixtures): ResolvedTarget {
  if (target === null || typeof target !== 'object') throw new TypeError('the callback target must be an object');
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new TypeError(`callback url must be an absolute http or https URL, got ${JSON.stringify(target.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`callback url must be an absolute http or https URL, got ${JSON.stringify(target.url)}`);
  }
  if (typeof target.token !== 'string' || target.token === '') throw new TypeError('callback token must be a non-empty string');
  if (typeof target.encodingAesKey !== 'string' || !isEncodingAesKey(target.encodingAesKey)) {
    throw new TypeError('callback encodingAesKey must be 43 characters of base64 (A-Z, a-z, 0-9, +, /)');
  }
  const suiteId = target.suiteId ?? fixtures.suite.suiteId;
  if (typeof suiteId !== 'string' || suiteId === '') throw new TypeError('suiteId must be a non-empty string');
  const interval = target.ticketIntervalMinutes;
  const intervalMs = interval === false ? undefined : positive('ticketIntervalMinutes', interval, DEFAULT_TICKET_INTERVAL_MINUTES) * 60_000;
  return {
    target: Object.freeze({ ...target }),
    url,
    suiteId,
    intervalMs,
    pollMs: positive('clockPollMs', target.clockPollMs, DEFAULT_CLOCK_POLL_MS),
    timeoutMs: positive('timeoutMs', target.timeoutMs, DEFAULT_CALLBACK_TIMEOUT_MS),
  };
}

function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** The inner XML of a suite callback message: each field a CDATA element, `TimeStamp` a number. */
/** A field whose value is XML of its own (ExtraInfo). */
interface RawXml {
  xml: string;
}

function innerXml(fields: readonly (readonly [string, string | number | RawXml])[]): string {
  const body = fields.map(
    ([name, value]) =>
      `<${name}>${typeof value === 'number' ? String(value) : typeof value === 'string' ? cdata(value) : value.xml}</${name}>`,
  );
  return `<xml>${body.join('')}</xml>`;
}

/** ExtraInfo of the KF component's authorization events (page 99401): the accounts the corp chose. */
function extraInfo(openKfIds: readonly string[] | undefined): (readonly [string, RawXml])[] {
  if (openKfIds === undefined) return [];
  return [
    ['ExtraInfo', { xml: `<AuthOpenKfIdList>${openKfIds.map((id) => `<OpenKfId>${cdata(id)}</OpenKfId>`).join('')}</AuthOpenKfIdList>` }],
  ];
}

function digits(count: number): string {
  let text = String(randomInt(1, 10));
  while (text.length < count) text += String(randomInt(0, 10));
  return text;
}

interface Answer {
  status: number;
  body: string;
  error?: string;
}

/** One HTTP exchange; never rejects (no answer gives status 0 and an error). */
function exchange(
  url: URL,
  method: 'GET' | 'POST',
  body: string | undefined,
  timeoutMs: number,
  inFlight: Set<ClientRequest>,
): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(req);
      resolve(answer);
    };
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let req: ClientRequest;
    try {
      req = send(
        url,
        {
          method,
          agent: false,
          headers: payload ? { 'content-type': 'text/xml; charset=utf-8', 'content-length': payload.length } : {},
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
          });
          res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (error) => finish({ status: 0, body: '', error: error.message }));
        },
      );
    } catch (error) {
      settled = true;
      resolve({ status: 0, body: '', error: error instanceof Error ? error.message : String(error) });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    inFlight.add(req);
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish({ status: 0, body: '', error: error.code ? `${error.code}: ${error.message}` : error.message });
    });
    req.end(payload);
  });
}

/** The provider console of a running simulator, and `close` for the simulator's shutdown. */
export function createProvider(deps: ProviderDeps): SimulatorProvider & { close(): void } {
  const { now, fixtures, directory, tokens, suiteTickets, authCodes } = deps;
  const deliveries: CallbackDelivery[] = [];
  const inFlight = new Set<ClientRequest>();
  const pending = new Set<Promise<unknown>>();
  let current: ResolvedTarget | undefined;
  let poller: NodeJS.Timeout | undefined;
  let nextPushAt = 0;
  let autoPushRunning = false;
  let latestTicket: string | undefined;
  let joinedCount = 0;
  let closed = false;

  function requireTarget(): ResolvedTarget {
    if (closed) throw new Error('the simulator is closed');
    if (!current) throw new Error('no callback target: call provider.configure({ url, token, encodingAesKey }) first');
    return current;
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    pending.add(promise);
    const forget = (): void => {
      pending.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  function record(resolved: ResolvedTarget, delivery: CallbackDelivery): void {
    deliveries.push(delivery);
    try {
      resolved.target.onDelivery?.(delivery);
    } catch {
      // A failing listener must not break the delivery.
    }
  }

  async function deliver(resolved: ResolvedTarget, kind: CallbackKind, message: string, automatic: boolean): Promise<CallbackDelivery> {
    const { target, suiteId, timeoutMs } = resolved;
    const at = now();
    const timestamp = String(Math.floor(at / 1000));
    const nonce = digits(10);
    const ciphertext = encrypt(target.encodingAesKey, message, suiteId);
    const url = new URL(resolved.url);
    url.searchParams.set('msg_signature', getSignature(target.token, timestamp, nonce, ciphertext));
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('nonce', nonce);
    let answer: Answer;
    if (kind === 'verify_url') {
      url.searchParams.set('echostr', ciphertext);
      answer = await exchange(url, 'GET', undefined, timeoutMs, inFlight);
    } else {
      const body = `<xml><ToUserName>${cdata(suiteId)}</ToUserName><Encrypt>${cdata(ciphertext)}</Encrypt><AgentID>${cdata('')}</AgentID></xml>`;
      answer = await exchange(url, 'POST', body, timeoutMs, inFlight);
    }
    const expected = kind === 'verify_url' ? message : 'success';
    const delivery: CallbackDelivery = {
      kind,
      automatic,
      method: kind === 'verify_url' ? 'GET' : 'POST',
      url: resolved.url.href,
      message,
      status: answer.status,
      body: answer.body,
      ...(answer.error === undefined ? {} : { error: answer.error }),
      ok: answer.status === 200 && answer.body.trim() === expected,
      at,
    };
    record(resolved, delivery);
    return delivery;
  }

  function result(delivery: CallbackDelivery): CallbackResult {
    return {
      status: delivery.status,
      body: delivery.body,
      ok: delivery.ok,
      ...(delivery.error === undefined ? {} : { error: delivery.error }),
    };
  }

  async function pushTicket(resolved: ResolvedTarget, automatic: boolean): Promise<TicketPush> {
    const at = now();
    const ticket = suiteTickets.issue(at);
    latestTicket = ticket;
    const message = innerXml([
      ['SuiteId', resolved.suiteId],
      ['InfoType', 'suite_ticket'],
      ['TimeStamp', Math.floor(at / 1000)],
      ['SuiteTicket', ticket],
    ]);
    const delivery = await deliver(resolved, 'suite_ticket', message, automatic);
    return { ticket, ...result(delivery) };
  }

  function stopPolling(): void {
    if (poller) clearInterval(poller);
    poller = undefined;
  }

  function poll(): void {
    const resolved = current;
    if (!resolved || resolved.intervalMs === undefined || autoPushRunning || closed) return;
    const nowMs = now();
    if (nowMs < nextPushAt) return;
    // One push however far the clock jumped: only the newest ticket matters.
    while (nextPushAt <= nowMs) nextPushAt += resolved.intervalMs;
    autoPushRunning = true;
    void track(
      pushTicket(resolved, true)
        .catch(() => undefined)
        .finally(() => {
          autoPushRunning = false;
        }),
    );
  }

  function nextCorpId(): string {
    let corpId: string;
    do {
      joinedCount += 1;
      corpId = `wwsimjoin${String(joinedCount).padStart(7, '0')}`;
    } while (directory.isKnownCorp(corpId));
    return corpId;
  }

  return {
    configure(target) {
      if (closed) throw new Error('the simulator is closed');
      const resolved = resolveTarget(target, fixtures);
      stopPolling();
      current = resolved;
      if (resolved.intervalMs !== undefined) {
        nextPushAt = now() + resolved.intervalMs;
        poller = setInterval(poll, resolved.pollMs);
        poller.unref();
      }
    },
    get target() {
      return current?.target;
    },
    stop() {
      stopPolling();
      current = undefined;
    },
    async verifyUrl() {
      const resolved = requireTarget();
      const delivery = await track(deliver(resolved, 'verify_url', digits(19), false));
      return delivery.ok;
    },
    async pushTicket() {
      return track(pushTicket(requireTarget(), false));
    },
    async authorize(options = {}) {
      const resolved = requireTarget();
      const corpId = options.corpId ?? nextCorpId();
      if (typeof corpId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(corpId)) {
        throw new TypeError(`corpId must be 1 to 64 letters, digits, '_' or '-', got ${JSON.stringify(corpId)}`);
      }
      if (directory.permanentCode(corpId) !== undefined) throw new RangeError(`corp ${corpId} has already authorized the suite`);
      if (directory.selfBuiltSecret(corpId) !== undefined) throw new RangeError(`corp ${corpId} is a self-built corp of the simulator`);
      const corpName = options.corpName ?? `模拟授权企业 ${corpId}`;
      const state = options.state ?? '';
      const permanentCode = randomBytes(32).toString('base64url');
      directory.authorizeSuite(corpId, permanentCode, corpName);
      const at = now();
      const authCode = authCodes.issue(corpId, state, at);
      const message = innerXml([
        ['SuiteId', resolved.suiteId],
        ['AuthCode', authCode],
        ['InfoType', 'create_auth'],
        ['TimeStamp', Math.floor(at / 1000)],
        ['State', state],
        ...extraInfo(options.openKfIds),
      ]);
      const delivery = await track(deliver(resolved, 'create_auth', message, false));
      return { authCorpId: corpId, corpName, permanentCode, authCode, ...result(delivery) };
    },
    async changeAuth(corpId, options = {}) {
      const resolved = requireTarget();
      if (directory.permanentCode(corpId) === undefined) throw new RangeError(`corp ${corpId} has not authorized the suite`);
      const message = innerXml([
        ['SuiteId', resolved.suiteId],
        ['InfoType', 'change_auth'],
        ['TimeStamp', Math.floor(now() / 1000)],
        ['AuthCorpId', corpId],
        ['State', ''],
        ...extraInfo(options.openKfIds),
      ]);
      return result(await track(deliver(resolved, 'change_auth', message, false)));
    },
    async cancelAuth(corpId) {
      const resolved = requireTarget();
      if (!directory.cancelSuite(corpId)) throw new RangeError(`corp ${corpId} has not authorized the suite`);
      tokens.revoke(corpId, 'suite-corp');
      authCodes.dropCorp(corpId);
      const message = innerXml([
        ['SuiteId', resolved.suiteId],
        ['InfoType', 'cancel_auth'],
        ['TimeStamp', Math.floor(now() / 1000)],
        ['AuthCorpId', corpId],
      ]);
      return result(await track(deliver(resolved, 'cancel_auth', message, false)));
    },
    get latestTicket() {
      return latestTicket;
    },
    get deliveries(): readonly CallbackDelivery[] {
      return deliveries;
    },
    clearDeliveries() {
      deliveries.length = 0;
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close() {
      closed = true;
      stopPolling();
      current = undefined;
      for (const req of inFlight) req.destroy(new Error('the simulator closed'));
    },
  };
}
