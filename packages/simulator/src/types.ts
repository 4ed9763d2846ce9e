import type { Fault } from './faults.js';
import type { SimulatorFixtures } from './fixtures.js';
import type { SimulatorProvider } from './provider.js';
import type { RobotMessage } from './robots.js';

export interface SimulatorOptions {
  /** Port to listen on; default 0 (a free port). */
  port?: number;
  /** Host to listen on; default '127.0.0.1'. */
  host?: string;
  /** The simulator's clock (epoch ms) for "today", token expiry and rate-limit minutes; default Date.now. */
  now?: () => number;
  /**
   * Milliseconds from a request's arrival to its answer (the simulated WeCom's work included, as a
   * client measures it); default 0.
   */
  latencyMs?: number;
  /** `expires_in` of every token and suite token, in seconds; default 7200. */
  tokenTtlSec?: number;
  /** Seed of the synthetic data; default 'wecom-kf-stats'. */
  seed?: string;
  /** Requests allowed per (corp, API path) per clock minute; over it errcode 45009. Default: no limit. */
  rateLimitPerMinute?: number;
  /** Requests allowed from all callers together per clock minute (WeCom's per-IP limit); over it errcode 45009. Default: no limit. */
  ipRateLimitPerMinute?: number;
  /** Adds this many generated self-built corps and as many generated suite-authorized corps. */
  extraCorpCount?: number;
  /** Share of days without any `statistic`, 0..1; default 0.08. */
  quietDayShare?: number;
  /**
   * Refuse the fixture suite_ticket: `get_suite_token` accepts only tickets pushed to the callback
   * URL (`provider.pushTicket()`, automatic pushes) and those given to `addSuiteTicket`. Default false.
   */
  pushedTicketsOnly?: boolean;
}

export interface SimulatorCall {
  method: string;
  /** Path without the query string (so without tokens). */
  path: string;
  /** HTTP status answered; 0 while in flight, or when the connection was dropped. */
  status: number;
  /** `errcode` of the JSON answer, when it had one. */
  errcode: number | undefined;
  /** The corp the request acted for, once known (from credentials or the token). */
  corpId: string | undefined;
  /** Simulator clock (epoch ms) when the request arrived. */
  at: number;
  /** Kind of the injected fault that hit this request, if any. */
  fault?: string;
}

export interface ExpectedStatisticQuery {
  endpoint: 'component' | 'corp' | 'servicer';
  corpId: string;
  /** Required for 'corp' and 'servicer'. */
  openKfid?: string;
  /** 'servicer' only: one servicer; absent means the account's servicers summed. */
  servicerUserid?: string;
  /** China calendar date, YYYY-MM-DD. */
  date: string;
}

export interface Simulator {
  /** Base URL, e.g. 'http://127.0.0.1:41234' (no trailing slash). */
  readonly url: string;
  readonly fixtures: SimulatorFixtures;
  /** Every request so far, in order of arrival. */
  readonly calls: readonly SimulatorCall[];
  /** Number of logged calls, all or those whose path equals a string / matches a pattern. */
  callCount(filter?: string | RegExp): number;
  resetCalls(): void;
  /** Queues a fault; faults are consumed first-in first-out by the requests they match. */
  inject(fault: Fault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  setRateLimit(perMinute: number | undefined): void;
  /** Fields merged into every `statistic` answered (undefined removes them). */
  setExtraFields(fields: Record<string, unknown> | undefined): void;
  /** Every access token and suite token issued so far becomes invalid now. */
  invalidateTokens(): void;
  /** Adds a suite_ticket to the set of accepted tickets, for good. */
  addSuiteTicket(ticket: string): void;
  /**
   * WeCom toward the service provider's command callback URL: URL verification, suite_ticket
   * pushes, and the authorization events create_auth, change_auth and cancel_auth.
   */
  readonly provider: SimulatorProvider;
  /**
   * Exactly the `statistic` the API answers for that day right now (undefined: no statistic),
   * without extra fields. Throws for an unknown corp, account or servicer. Days outside the
   * query window still get their data here, although the API would refuse to serve them.
   */
  expectedStatistic(query: ExpectedStatisticQuery): Record<string, number> | undefined;
  /**
   * Set figures of one series and day by hand (a shaped account): merged over the generated
   * statistic (a field set to undefined is left out), for that day's answers and expectedStatistic;
   * `undefined` fields removes the shape. A day without data stays without.
   */
  shapeDay(query: ExpectedStatisticQuery, fields: Record<string, number | undefined> | undefined): void;
  /** WeCom group robots (page 91770) at /cgi-bin/webhook/send?key=KEY. */
  readonly robots: {
    /** A robot (its key random unless given): its key and webhook URL. */
    add(key?: string): { key: string; url: string };
    /** Its key is refused (93000) from now on. */
    remove(key: string): void;
    /** The messages robots accepted, of one key or all, in order. */
    messages(key?: string): readonly RobotMessage[];
  };
  /** Stops the server and ends every connection, keep-alive ones too. */
  close(): Promise<void>;
}
