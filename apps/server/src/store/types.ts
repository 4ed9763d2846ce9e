/**
 * The store's rows and its interface: what the collector, the API and the callback read and write,
 * whichever database holds it. The queries live beside their aggregate (days.ts, series.ts,
 * catalog.ts, tokens.ts, tickets.ts); store.ts opens, migrates and assembles them.
 */
import type { ChinaDay } from '../china-days.js';
import type { NotifyReport, NotifyRule } from '@wecom-kf-stats/core/server-api';
import type { StatisticsEndpoint, StoredToken, TokenStore } from '../kf-core.js';

export interface SeriesKey {
  source: string;
  endpoint: StatisticsEndpoint;
  corpId: string;
  /** '' for component statistics. */
  openKfid: string;
  /** '' unless one servicer's statistics. */
  servicerUserid: string;
}

export interface ArchivedDay {
  date: ChinaDay;
  stat_time: number;
  statistic: Record<string, unknown> | null;
  /** Epoch ms. */
  fetchedAt: number;
}

export interface LeasedSeries extends SeriesKey {
  id: number;
}

export interface AccountRow {
  corpId: string;
  openKfid: string;
  name: string | null;
}

export interface ServicerRow {
  corpId: string;
  openKfid: string;
  servicerUserid: string;
  status: number | null;
}

export interface SourceStoreStats {
  source: string;
  days: number;
  newestDay: ChinaDay | null;
  lastSuccessAt: number | null;
}

/** A corp that authorized a provider's suite through the callback; the permanent code stays sealed. */
export interface AuthorizationRow {
  source: string;
  corpId: string;
  corpName: string | null;
  permanentCodeSealed: string;
  state: 'active' | 'cancelled';
  /** WeCom's TimeStamp of the event that last changed the row (seconds). */
  wecomTime: number;
  /** The accounts the corp chose for the KF component (ExtraInfo.AuthOpenKfIdList); null when WeCom named none. */
  openKfids: string[] | null;
  /** A cancelled corp whose archived days wait for `retention.cancelledCorpDays`: when they go (epoch ms). */
  purgeAt: number | null;
}

/** An API key made at run time: only its hash is kept. `null` sources or corps: all of them. */
export interface ApiKeyRow {
  name: string;
  keyHash: string;
  sources: string[] | null;
  corps: string[] | null;
  /** May take access tokens (for the corps in its scope). */
  token: boolean;
  /** Epoch ms; null: never expires. */
  expiresAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export type AuthEventType = 'create_auth' | 'reset_permanent_code' | 'change_auth' | 'cancel_auth';

/** An authorization event the callback recorded before answering WeCom, applied afterwards by any replica. */
export interface AuthEventRow {
  id: number;
  source: string;
  infoType: AuthEventType;
  /** change_auth and cancel_auth name the corp; create_auth learns it from the exchange. */
  corpId: string | null;
  /** The auth code of create_auth and reset_permanent_code, sealed; cleared once the event is finished. */
  authCodeSealed: string | null;
  openKfids: string[] | null;
  wecomTime: number;
  receivedAt: number;
  state: 'pending' | 'done' | 'failed';
  /** Claims so far (the current one included). */
  attempts: number;
  /** What happened, for the sources answer (no secret, and no corp id: the row outlives a deleted corp). */
  outcome: string | null;
  finishedAt: number | null;
}

/** A group robot destination made through the API; its webhook URL sealed with the store key. */
export interface NotifyDestinationRow {
  id: string;
  webhookSealed: string;
  sources: string[] | null;
  corps: string[] | null;
  accounts: string[] | null;
  language: 'zh-CN' | 'en';
  report: NotifyReport | null;
  rules: NotifyRule[];
}

/** One report or notice, claimed before it is sent; no secret and, unless it is about one corp, no corp. */
export interface NotifySendRow {
  id: number;
  destination: string;
  kind: 'daily' | 'weekly' | 'notice' | 'cleared' | 'test';
  /** The corp a notice is about (deleted with the corp's data). */
  source: string | null;
  corpId: string | null;
  what: string;
  state: 'sending' | 'sent' | 'failed' | 'lost';
  parts: number;
  partsSent: number;
  attempts: number;
  outcome: string | null;
  claimedAt: number;
  finishedAt: number | null;
}

/** A notice firing now: a rule of a destination, about one subject (an account, a source, a suite). */
export interface NotifyIncident {
  destination: string;
  rule: string;
  subject: string;
  source: string | null;
  corpId: string | null;
  /** The China day (metric rules) or the time (others) it fired for. */
  day: string;
}

export interface SuiteTicketRow {
  id: number;
  ticketSealed: string;
  /** WeCom's TimeStamp (seconds). */
  wecomTime: number;
  /** When it arrived (epoch ms). */
  receivedAt: number;
}

export interface Store {
  readonly kind: 'embedded' | 'postgres';
  /** Keep a suite's ticket; true when it is now the one in use (suiteTicketInUse). */
  offerSuiteTicket(suiteId: string, ticketSealed: string, wecomTime: number, receivedAt: number): Promise<boolean>;
  /**
   * The ticket to use: of those WeCom has not rejected, the newest by WeCom's TimeStamp, where a
   * stamp more than the callback's timestamp window (CALLBACK_MAX_SKEW_SECONDS) ahead of its arrival counts only while no ticket
   * with a believable stamp exists (one pushed with a far-future stamp cannot pin itself).
   */
  suiteTicketInUse(suiteId: string): Promise<SuiteTicketRow | undefined>;
  /** WeCom refused this ticket (40085): the next one in line is used from now on. */
  rejectSuiteTicket(suiteId: string, id: number): Promise<void>;
  /** Insert or renew an authorization (create_auth, reset_permanent_code): it becomes active. */
  saveAuthorization(
    row: Omit<AuthorizationRow, 'state' | 'purgeAt' | 'openKfids'> & { openKfids?: string[] | null },
    at: number,
  ): Promise<void>;
  /** change_auth / cancel_auth on a known corp; false when the corp is unknown or the event older than the row. */
  markAuthorization(change: {
    source: string;
    corpId: string;
    state: 'active' | 'cancelled';
    wecomTime: number;
    at: number;
    /** change_auth: the accounts the corp chose now (undefined: unchanged). */
    openKfids?: string[] | null;
  }): Promise<boolean>;
  listAuthorizations(source?: string): Promise<AuthorizationRow[]>;
  /** Forget a corp's discovered series so the next run lists its accounts again. */
  forgetDiscovery(source: string, corpId: string): Promise<void>;
  readDays(series: SeriesKey, from: ChinaDay, to: ChinaDay): Promise<ArchivedDay[]>;
  /**
   * The version of a series' archived days as this process knows it: it changes whenever days of
   * the series are written, here or (on PostgreSQL, told by NOTIFY) by another replica. undefined
   * while others' writes cannot be followed (the listening connection is down): then nothing read
   * may be kept.
   */
  daysVersion(series: SeriesKey): string | undefined;
  /**
   * Insert or replace days; returns how many rows were written and which stored days changed
   * (WeCom answered them differently than before: a late correction).
   */
  writeDays(
    series: SeriesKey,
    days: readonly Omit<ArchivedDay, 'fetchedAt'>[],
    fetchedAt: number,
  ): Promise<{ written: number; revised: ChinaDay[] }>;
  saveAccounts(
    source: string,
    corpId: string,
    accounts: readonly { openKfid: string; name: string | null }[],
    seenAt: number,
  ): Promise<void>;
  listAccounts(source: string, corpId?: string): Promise<AccountRow[]>;
  saveServicers(listed: {
    source: string;
    corpId: string;
    openKfid: string;
    servicers: readonly { userid: string; status: number | null }[];
    seenAt: number;
  }): Promise<void>;
  listServicers(source: string, openKfid: string, corpId?: string): Promise<ServicerRow[]>;
  /**
   * The series one process discovered for a corp, for the other replicas; `basis` says what they
   * were discovered for (the China day and the source's settings).
   */
  saveDiscovery(discovery: { source: string; corpId: string; basis: string; series: readonly SeriesKey[]; at: number }): Promise<void>;
  readDiscovery(source: string, corpId: string, basis: string): Promise<SeriesKey[] | undefined>;
  /** Every corp of a source discovered for `basis`, in one round trip (a run of many corps). */
  readDiscoveries(source: string, basis: string): Promise<Map<string, SeriesKey[]>>;
  /** Make sure the series exist; returns their ids. */
  registerSeries(series: readonly SeriesKey[]): Promise<number[]>;
  /**
   * Lease one of `ids` that no live lease holds and that is not finished for `today` (`FOR UPDATE
   * SKIP LOCKED`, so replicas never wait on each other), or undefined when none is left.
   */
  claimSeries(ids: readonly number[], owner: string, leaseMs: number, today: ChinaDay): Promise<LeasedSeries | undefined>;
  /** Which of `ids` are finished for `today`. */
  seriesDoneFor(ids: readonly number[], today: ChinaDay): Promise<number[]>;
  renewSeriesLease(id: number, owner: string, leaseMs: number): Promise<boolean>;
  /** Give the lease back; with `doneFor`, the series is finished for that China day and no replica claims it again that day. */
  releaseSeries(id: number, owner: string, doneFor?: ChinaDay): Promise<void>;
  /** A named lease (e.g. a token refresh); true when `owner` holds it now. */
  tryLease(key: string, owner: string, leaseMs: number): Promise<boolean>;
  releaseLease(key: string, owner: string): Promise<void>;
  /** API keys made at run time (POST /api/v1/keys, `keys create`). */
  readonly keys: {
    /** false when a key of that name exists. */
    create(row: Omit<ApiKeyRow, 'lastUsedAt'>): Promise<boolean>;
    list(): Promise<ApiKeyRow[]>;
    /** false when no key has that name. */
    revoke(name: string): Promise<boolean>;
    touch(name: string, at: number): Promise<void>;
  };
  /** Authorization events between the callback's answer and their application. */
  readonly authEvents: {
    /** One durable write; false when the same event (WeCom's retry) is recorded already. */
    record(event: Omit<AuthEventRow, 'id' | 'state' | 'attempts' | 'outcome' | 'finishedAt'> & { dedupe: string }): Promise<boolean>;
    /** Lease the next event to apply (a source's in order), or undefined. */
    claim(owner: string, leaseMs: number): Promise<AuthEventRow | undefined>;
    /** `corpId`: the corp a create_auth turned out to be for. */
    finish(id: number, owner: string, result: { state: 'done' | 'failed'; outcome: string; at: number; corpId?: string }): Promise<void>;
    retryLater(id: number, owner: string, retry: { delayMs: number; outcome: string }): Promise<void>;
    /** Pending and failed events (of one source). */
    list(source?: string): Promise<AuthEventRow[]>;
    /** Forget finished events older than this (epoch ms). */
    prune(beforeMs: number): Promise<void>;
  };
  /** Group robot destinations, reports and notices (notify). */
  readonly notify: {
    /** false when a destination of that id exists. */
    saveDestination(row: NotifyDestinationRow & { createdAt: number }): Promise<boolean>;
    listDestinations(): Promise<NotifyDestinationRow[]>;
    /** false when none has that id. */
    deleteDestination(id: string): Promise<boolean>;
    /** Claim a send (unique by `dedupe`): its id, or undefined when it is claimed already (by any replica). */
    claim(claim: NotifyClaim): Promise<number | undefined>;
    /** Open an incident and claim its notice, together; undefined when it is open already. */
    openIncident(incident: NotifyIncident, claim: NotifyClaim): Promise<number | undefined>;
    /** Close an open incident and claim its "cleared" notice, together; undefined when it is not open. */
    closeIncident(incident: Pick<NotifyIncident, 'destination' | 'rule' | 'subject'>, claim: NotifyClaim): Promise<number | undefined>;
    incidents(destination: string): Promise<NotifyIncident[]>;
    /** Forget incidents of rules the destination no longer has. */
    dropIncidents(destination: string, keepRules: readonly string[]): Promise<void>;
    finish(
      id: number,
      owner: string,
      result: { state: 'sent' | 'failed'; outcome: string; partsSent: number; attempts: number; at: number },
    ): Promise<void>;
    /** Sends claimed before `beforeMs` and never finished (their process died): marked lost, and returned. */
    markLost(beforeMs: number, at: number): Promise<NotifySendRow[]>;
    sends(destination?: string): Promise<NotifySendRow[]>;
    /** Which of these dedupe keys are claimed. */
    claimedAmong(dedupes: readonly string[]): Promise<Set<string>>;
    /** The accounts of these sources whose corp statistics or servicer total are collected. */
    accounts(sources: readonly string[]): Promise<{ source: string; corpId: string; openKfid: string; name: string | null }[]>;
    /** The archived days of those accounts' corp statistics and servicer totals, in one read. */
    accountDays(
      sources: readonly string[],
      from: ChinaDay,
      to: ChinaDay,
    ): Promise<
      {
        source: string;
        endpoint: 'corp' | 'servicer';
        corpId: string;
        openKfid: string;
        day: ChinaDay;
        statistic: Record<string, unknown> | null;
      }[]
    >;
    /** Forget finished sends claimed before this. */
    prune(beforeMs: number): Promise<void>;
  };
  /**
   * Delete what the store keeps of a corp; its archived days and authorization row at once, or,
   * with `archive.at`, keep the days until then (corpsDue names it then). Returns the days deleted.
   */
  deleteCorp(corp: { source: string; corpId: string; tokenRowKeys: readonly string[]; archive: { at?: number } }): Promise<number>;
  /** Cancelled corps whose archived days are due to go. */
  corpsDue(nowMs: number): Promise<{ source: string; corpId: string }[]>;
  /**
   * WeCom's call limits counted for every replica on the store (PostgreSQL; the embedded store
   * has one process, which counts in memory).
   */
  readonly pacing?: {
    /**
     * Count up to `calls` (default 1) calls in every scope now: as many as all windows have room
     * for; when none fits, how many ms until one does.
     */
    reserve(request: {
      scopes: readonly PacingScope[];
      atMs: number;
      marginMs: number;
      calls?: number;
    }): Promise<{ granted: number; waitMs: number }>;
    /** A 45009: no replica calls for these scopes until then. */
    pause(keys: readonly string[], untilMs: number): Promise<void>;
  };
  /** Tokens shared by every process on this store. */
  readonly tokens: Pick<TokenStore, 'get' | 'set' | 'delete'> & {
    get(key: string): Promise<StoredToken | undefined>;
    /**
     * The name a token's row and refresh lease have in the store: a keyed hash of core's key
     * (which holds a short fingerprint of the secret), so the store shows no trace of a secret.
     */
    rowKey(key: string): string;
  };
  recordRun(run: { source: string; finishedAt: number; ok: boolean; series: number; daysStored: number; failures: number }): Promise<void>;
  /** Figures per source, kept as days are written and runs recorded: O(sources), not O(archive). */
  sourceStats(): Promise<SourceStoreStats[]>;
  /**
   * One small write: throws when the store cannot be written. With `archive`, a day row is also
   * written to the archive's table and removed again (after an archive write failed, the small
   * write alone may pass where a new day cannot).
   */
  probe(owner: string, options?: { archive?: boolean }): Promise<void>;
  /** Close and open the store again (see SqlDriver.reopen); false where it recovers by itself. */
  reopen(): Promise<boolean>;
  /** Plain SQL on the archive (operations, audits, tests). */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Every table's rows as text (for backups and audits). */
  dump(): Promise<string>;
  close(): Promise<void>;
}

export interface NotifyClaim {
  destination: string;
  kind: NotifySendRow['kind'];
  /** What makes it unique: the same report or notice claimed twice is one. */
  dedupe: string;
  source: string | null;
  corpId: string | null;
  what: string;
  owner: string;
  at: number;
  parts: number;
}

/** One window set a call counts in: a corp and API, or an egress IP group. */
export interface PacingScope {
  key: string;
  perMinute: number;
  perHour: number;
}

export interface StoreOptions {
  /**
   * The store key (`storeKeyEnv`): WeCom tokens are kept sealed with it, like permanent codes and
   * tickets. Without it they are kept as WeCom sent them.
   */
  sealKey?: Buffer | undefined;
  /** The key of the token rows' keyed hash (openStore derives it). */
  tokenRowKey?: Buffer;
}
