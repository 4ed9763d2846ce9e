/** The HTTP server: request plumbing, latency, faults, rate limits, the call log and lifecycle. */

import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRoutes,
  dispatch,
  errcodeAnswer,
  truncatedAnswer,
  wrongShapeAnswer,
  type ApiAnswer,
  type ApiContext,
  type ApiRequest,
} from './api.js';
import { dayNumberFromMs, msIntoChinaDay, parseDay } from './china-day.js';
import { dayStatistic, type DataSettings, type StatisticScope } from './data.js';
import { CorpDirectory } from './directory.js';
import { FaultQueue, type Fault } from './faults.js';
import { createFixtures } from './fixtures.js';
import { createProvider } from './provider.js';
import { MinuteRateLimiter } from './rate-limit.js';
import { RobotBook } from './robots.js';
import { AuthCodeBook, SuiteTicketBook } from './suite-auth.js';
import { TokenRegistry } from './tokens.js';
import type { ExpectedStatisticQuery, Simulator, SimulatorCall, SimulatorOptions } from './types.js';

export const DEFAULT_SEED = 'wecom-kf-stats';
export const DEFAULT_TOKEN_TTL_SEC = 7200;
export const DEFAULT_QUIET_DAY_SHARE = 0.08;
/** Yesterday's statistics are published from 06:00 China time. */
export const READY_AFTER_MS = 6 * 3600 * 1000;

const MAX_BODY_BYTES = 1024 * 1024;

interface Settings {
  port: number;
  host: string;
  now: () => number;
  latencyMs: number;
  tokenTtlSec: number;
  seed: string;
  rateLimitPerMinute: number | undefined;
  ipRateLimitPerMinute: number | undefined;
  extraCorpCount: number;
  quietDayShare: number;
  pushedTicketsOnly: boolean;
}

function checkLatency(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`latency must be a number of milliseconds >= 0, got ${String(ms)}`);
  }
  return ms;
}

function checkRateLimit(perMinute: number | undefined): number | undefined {
  if (perMinute === undefined) return undefined;
  if (!Number.isInteger(perMinute) || perMinute < 1) {
    throw new RangeError(`rate limit must be a positive integer per minute, got ${String(perMinute)}`);
  }
  return perMinute;
}

function resolveOptions(options: SimulatorOptions): Settings {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port must be 0..65535, got ${String(port)}`);
  const tokenTtlSec = options.tokenTtlSec ?? DEFAULT_TOKEN_TTL_SEC;
  if (!Number.isFinite(tokenTtlSec) || tokenTtlSec <= 0) {
    throw new RangeError(`tokenTtlSec must be a positive number of seconds, got ${String(tokenTtlSec)}`);
  }
  const quietDayShare = options.quietDayShare ?? DEFAULT_QUIET_DAY_SHARE;
  if (!Number.isFinite(quietDayShare) || quietDayShare < 0 || quietDayShare > 1) {
    throw new RangeError(`quietDayShare must be within 0..1, got ${String(quietDayShare)}`);
  }
  const extraCorpCount = options.extraCorpCount ?? 0;
  if (!Number.isInteger(extraCorpCount) || extraCorpCount < 0) {
    throw new RangeError(`extraCorpCount must be a non-negative integer, got ${String(extraCorpCount)}`);
  }
  return {
    port,
    host: options.host ?? '127.0.0.1',
    now: options.now ?? Date.now,
    latencyMs: checkLatency(options.latencyMs ?? 0),
    tokenTtlSec,
    seed: options.seed ?? DEFAULT_SEED,
    rateLimitPerMinute: checkRateLimit(options.rateLimitPerMinute),
    ipRateLimitPerMinute: checkRateLimit(options.ipRateLimitPerMinute),
    extraCorpCount,
    quietDayShare,
    pushedTicketsOnly: options.pushedTicketsOnly === true,
  };
}

/** The request body as text; null when it is larger than the simulator accepts. */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What a gateway in front of WeCom answers with a 5xx (or any) status. */
function htmlAnswer(status: number): ApiAnswer {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return {
    status,
    contentType: 'text/html',
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts a local WeCom customer-service statistics API. Resolves once it listens; `url` holds
 * the bound address (use port 0 for a free port).
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const settings = resolveOptions(options);
  const now = settings.now;
  const fixtures = createFixtures(settings.extraCorpCount);
  const directory = new CorpDirectory(fixtures);
  const tokens = new TokenRegistry();
  const suiteTickets = new SuiteTicketBook();
  if (!settings.pushedTicketsOnly) suiteTickets.add(fixtures.suite.suiteTicket);
  const authCodes = new AuthCodeBook();
  const faults = new FaultQueue();
  const rateLimiter = new MinuteRateLimiter(settings.rateLimitPerMinute, settings.ipRateLimitPerMinute);
  const routes = createRoutes(fixtures);
  const robots = new RobotBook();
  /** Figures set by hand for a scope and day (a shaped account), merged over the generated ones. */
  const shaped = new Map<string, Record<string, number | undefined>>();
  const shapeKey = (
    scope: { endpoint: string; corpId: string; openKfid?: string | undefined; servicerUserid?: string | undefined },
    day: number,
  ) => `${scope.endpoint}|${scope.corpId}|${scope.openKfid ?? ''}|${scope.servicerUserid ?? ''}|${day}`;
  const dataSettings: DataSettings = { seed: settings.seed, quietDayShare: settings.quietDayShare };
  const calls: SimulatorCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let latencyMs = settings.latencyMs;
  let extraFields: Record<string, unknown> | undefined;
  let closing: Promise<void> | undefined;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function publishedStatistic(scope: StatisticScope, dayNumber: number): Record<string, number> | undefined {
    const nowMs = now();
    const today = dayNumberFromMs(nowMs);
    if (dayNumber >= today) return undefined;
    if (dayNumber === today - 1 && msIntoChinaDay(nowMs) < READY_AFTER_MS) return undefined;
    const servicers = scope.endpoint === 'servicer' ? (directory.servicersOf(scope.openKfid ?? '') ?? []) : [];
    const statistic = dayStatistic(dataSettings, scope, dayNumber, servicers);
    const shape = shaped.get(shapeKey(scope, dayNumber));
    if (!shape || !statistic) return statistic;
    const out: Record<string, number> = { ...statistic };
    for (const [field, value] of Object.entries(shape)) {
      if (value === undefined) delete out[field];
      else out[field] = value;
    }
    return out;
  }

  const context: ApiContext = {
    now,
    fixtures,
    directory,
    tokens,
    suiteTickets,
    authCodes,
    tokenTtlSec: settings.tokenTtlSec,
    rateLimiter,
    robots,
    publishedStatistic,
    extraFields: () => extraFields,
  };

  function send(res: ServerResponse, call: SimulatorCall, answer: ApiAnswer): void {
    call.status = answer.status;
    call.errcode = answer.errcode;
    if (res.destroyed || res.writableEnded) return;
    const payload = Buffer.from(answer.body, 'utf8');
    res.writeHead(answer.status, {
      ...answer.headers,
      'content-type': answer.contentType,
      'content-length': payload.length,
    });
    res.end(payload);
  }

  function normalAnswer(req: IncomingMessage, call: SimulatorCall, query: URLSearchParams, body: string): ApiAnswer {
    const request: ApiRequest = {
      method: call.method,
      path: call.path,
      query,
      headers: req.headers,
      body,
      setCorp(corpId) {
        call.corpId = corpId;
      },
    };
    return dispatch(routes, context, request);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const call: SimulatorCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
      errcode: undefined,
      corpId: undefined,
      at: now(),
    };
    calls.push(call);
    const arrived = performance.now();
    const body = await readBody(req);
    // WeCom's time to answer includes its own work: with no fault queued, the answer is worked out
    // on arrival and leaves `latencyMs` after the request arrived, not `latencyMs` plus that work.
    let early: ApiAnswer | undefined;
    if (latencyMs > 0) {
      // Requests that arrive together are all stamped before any of them is worked out.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (body !== null && faults.size === 0 && !closing) early = normalAnswer(req, call, url.searchParams, body);
      await sleep(Math.max(0, arrived + latencyMs - performance.now()));
    }
    if (closing) return;
    if (body === null) {
      send(res, call, { status: 413, contentType: 'text/plain; charset=utf-8', body: 'Payload Too Large\n' });
      return;
    }
    const fault: Fault | undefined = faults.take(call.path);
    if (fault) call.fault = fault.kind;
    switch (fault?.kind) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'errcode':
        send(res, call, errcodeAnswer(fault.errcode, fault.errmsg));
        return;
      case 'http':
        send(res, call, htmlAnswer(fault.status));
        return;
      case 'malformed':
        send(res, call, truncatedAnswer());
        return;
      case 'schema':
        send(res, call, wrongShapeAnswer(call.path));
        return;
      case 'delay':
        await sleep(fault.ms);
        if (closing) return;
        break;
      case undefined:
        break;
    }
    send(res, call, early ?? normalAnswer(req, call, url.searchParams, body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Internal Server Error\n');
      } else {
        res.destroy();
      }
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${urlHost(settings.host)}:${address.port}`;
  const provider = createProvider({ now, fixtures, directory, tokens, suiteTickets, authCodes });

  function expectedStatistic(query: ExpectedStatisticQuery): Record<string, number> | undefined {
    if (!directory.isKnownCorp(query.corpId)) throw new RangeError(`Unknown corp ${query.corpId}`);
    const dayNumber = parseDay(query.date);
    let scope: StatisticScope;
    if (query.endpoint === 'component') {
      scope = { endpoint: 'component', corpId: query.corpId };
    } else {
      const servicers = query.openKfid === undefined ? undefined : directory.servicersOf(query.openKfid);
      if (!servicers) throw new RangeError(`Unknown open_kfid ${String(query.openKfid)}`);
      if (query.endpoint === 'corp') {
        scope = { endpoint: 'corp', corpId: query.corpId, openKfid: query.openKfid };
      } else {
        if (query.servicerUserid !== undefined && !servicers.includes(query.servicerUserid)) {
          throw new RangeError(`Unknown servicer ${query.servicerUserid} of ${String(query.openKfid)}`);
        }
        scope = {
          endpoint: 'servicer',
          corpId: query.corpId,
          openKfid: query.openKfid,
          servicerUserid: query.servicerUserid,
        };
      }
    }
    const statistic = publishedStatistic(scope, dayNumber);
    return statistic ? { ...statistic } : undefined;
  }

  return {
    url,
    fixtures,
    get calls(): readonly SimulatorCall[] {
      return calls;
    },
    callCount(filter?: string | RegExp): number {
      if (filter === undefined) return calls.length;
      if (typeof filter === 'string') return calls.filter((call) => call.path === filter).length;
      return calls.filter((call) => call.path.search(filter) >= 0).length;
    },
    resetCalls(): void {
      calls.length = 0;
    },
    inject(fault: Fault): void {
      faults.add(fault);
    },
    clearFaults(): void {
      faults.clear();
    },
    setLatency(ms: number): void {
      latencyMs = checkLatency(ms);
    },
    setRateLimit(perMinute: number | undefined): void {
      rateLimiter.perMinute = checkRateLimit(perMinute);
    },
    setExtraFields(fields: Record<string, unknown> | undefined): void {
      extraFields = fields === undefined ? undefined : { ...fields };
    },
    invalidateTokens(): void {
      tokens.invalidateAll();
    },
    addSuiteTicket(ticket: string): void {
      if (typeof ticket !== 'string' || ticket === '') throw new TypeError('suite_ticket must be a non-empty string');
      suiteTickets.add(ticket);
    },
    provider,
    expectedStatistic,
    shapeDay(query, fields): void {
      if (!directory.isKnownCorp(query.corpId)) throw new RangeError(`Unknown corp ${query.corpId}`);
      const key = shapeKey(
        {
          endpoint: query.endpoint,
          corpId: query.corpId,
          openKfid: query.endpoint === 'component' ? undefined : query.openKfid,
          servicerUserid: query.endpoint === 'servicer' ? query.servicerUserid : undefined,
        },
        parseDay(query.date),
      );
      if (fields === undefined) shaped.delete(key);
      else shaped.set(key, { ...fields });
    },
    robots: {
      add: (key?: string) => {
        const made = robots.add(key);
        return { key: made, url: `${url}/cgi-bin/webhook/send?key=${made}` };
      },
      remove: (key: string) => robots.remove(key),
      messages: (key?: string) => robots.messages(key),
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        provider.close();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
