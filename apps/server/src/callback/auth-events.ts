/**
 * WeCom's authorization events, answered within its 1000 ms (page 90642) whatever WeCom's own
 * latency: the callback records the event (one durable write, the auth code sealed) and answers
 * `success`; the exchange of the auth code, the syncs and the deletions run afterwards here, on
 * whichever replica claims the event first (a process that dies mid-way leaves a lease that
 * expires, and the next one finishes it). WeCom's retry of an event already recorded finds its row
 * and changes nothing, so an auth code is exchanged once.
 */
import { createHash } from 'node:crypto';
import type { ProviderSource, ServerConfig } from '../config.js';
import { isWecomStatsError, redactText, registerSecret } from '../kf-core.js';
import { silentLog, type Log } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { AuthEventRow, Store } from '../store/store.js';
import type { WecomClients } from '../wecom.js';
import type { CallbackEvent } from './messages.js';
import type { Providers } from './provider.js';
import { believedTime, codeContext } from './provider.js';
import { seal, unseal } from './sealed.js';

/** An auth code works for 10 minutes (page 90642): a failed exchange is tried again only within them. */
export const AUTH_CODE_LIFETIME_MS = 10 * 60_000;
/** A claimed event is another replica's to finish once this passes without it being done. */
const EVENT_LEASE_MS = 60_000;
/** Finished events are kept this long: WeCom's retries of them are recognised, failures are listed. */
const EVENTS_KEPT_MS = 7 * 86_400_000;

export type AuthEventKind = Extract<CallbackEvent['infoType'], 'create_auth' | 'reset_permanent_code' | 'change_auth' | 'cancel_auth'>;
export const isAuthEvent = (event: CallbackEvent): event is Extract<CallbackEvent, { infoType: AuthEventKind }> =>
  event.infoType === 'create_auth' ||
  event.infoType === 'reset_permanent_code' ||
  event.infoType === 'change_auth' ||
  event.infoType === 'cancel_auth';

const authCodeContext = (source: string) => `auth_code:${source}`;

/**
 * What makes an event the same event: WeCom sends a retry with the same auth code, or with the
 * same corp and TimeStamp. A hash, so that the mark keeps nothing of the code.
 */
function dedupeOf(source: string, event: Extract<CallbackEvent, { infoType: AuthEventKind }>): string {
  const what = 'authCode' in event ? ['code', event.authCode] : ['corp', event.authCorpId, String(event.timeStamp)];
  return createHash('sha256')
    .update(JSON.stringify([source, event.infoType, ...what]))
    .digest('base64url');
}

/** WeCom did not answer, or answered -1 (busy): the only failures of an exchange worth trying again. */
function worthRetrying(error: unknown): boolean {
  if (!isWecomStatsError(error)) return false;
  if (error.code === 'TRANSPORT' || error.code === 'TIMEOUT' || error.code === 'HTTP_STATUS') return true;
  return error.code === 'WECOM_API' && (error as { errcode?: number }).errcode === -1;
}

export interface CorpDataParts {
  store: Store;
  clients: WecomClients;
  providers: Providers;
}

/**
 * Delete what the server keeps of a corp (WeCom's rule on cancel_auth, or an operator's purge):
 * its clients and their tokens here (the other replicas drop theirs on their next look at the
 * store), then its rows in the store; the archived days at once, or kept until `archiveAt`.
 */
export async function deleteCorpData(parts: CorpDataParts, corp: { source: string; corpId: string; archiveAt?: number }): Promise<number> {
  const { store, clients } = parts;
  const tokenRowKeys = clients.find(corp.source, corp.corpId).map((c) => store.tokens.rowKey(c.client.authKey));
  clients.remove(corp.source, corp.corpId);
  return store.deleteCorp({
    source: corp.source,
    corpId: corp.corpId,
    tokenRowKeys,
    archive: corp.archiveAt === undefined ? {} : { at: corp.archiveAt },
  });
}

export interface AuthEventsOptions extends CorpDataParts {
  config: Pick<ServerConfig, 'retention'>;
  /** The store key (storeKeyEnv): auth codes wait sealed with it. */
  storeKey: Buffer | undefined;
  /** Who claims events: one per process. */
  owner: string;
  now: () => number;
  metrics?: Pick<ServerMetrics, 'onAuthEvent'>;
  log?: Log;
  /** Shutdown: stop claiming. */
  signal?: AbortSignal;
  /** A corp cancelled: told before its data goes (the notices about it are claimed then). */
  onCancelled?: (event: { source: string; corpId: string; at: number }) => Promise<void>;
}

export interface AuthEvents {
  /** The callback's one durable write: false when WeCom sent this event before (nothing more is done). */
  record(provider: ProviderSource, event: Extract<CallbackEvent, { infoType: AuthEventKind }>, receivedAt: number): Promise<boolean>;
  /** Apply what is due, in the background (one loop at a time in a process). */
  kick(): void;
  /** The background work of this process, finished (tests, shutdown). */
  idle(): Promise<void>;
  /** Apply what is due, delete archives whose retention ended and forget old events; resolves when done. */
  tick(): Promise<void>;
}

export function createAuthEvents(options: AuthEventsOptions): AuthEvents {
  const { store, clients, providers, storeKey, owner, now } = options;
  const log = options.log ?? silentLog;
  const key = () => {
    if (!storeKey) throw new Error('storeKeyEnv is required to keep auth codes');
    return storeKey;
  };
  const count = (source: string, event: string, outcome: 'recorded' | 'repeated' | 'applied' | 'retried' | 'failed') =>
    options.metrics?.onAuthEvent({ source, event, outcome });
  let loop: Promise<void> | undefined;
  let again = false;

  /**
   * The event's end: its outcome stored without naming the corp (the row outlives a deleted
   * corp's data), the log line with it.
   */
  const finish = async (row: AuthEventRow, state: 'done' | 'failed', outcome: string, corp?: { id: string; name?: string | undefined }) => {
    await store.authEvents.finish(row.id, owner, {
      state,
      outcome,
      at: now(),
      ...(corp && row.infoType !== 'cancel_auth' ? { corpId: corp.id } : {}),
    });
    count(row.source, row.infoType, state === 'done' ? 'applied' : 'failed');
    const line = `${row.infoType} of source ${row.source}: ${corp ? `corp ${corp.id}${corp.name ? ` (${corp.name})` : ''} ` : ''}${outcome}`;
    const fields = { source: row.source, infoType: row.infoType, ...(corp ? { corp: corp.id } : {}) };
    if (state === 'done') log.info(fields, line);
    else log.error(fields, line);
  };

  const retention = () => options.config.retention.cancelledCorpDays;

  /** One event, applied. Throws only when the store failed (the event is then tried again). */
  const apply = async (row: AuthEventRow): Promise<void> => {
    const provider = providers.find(row.source);
    if (!provider) return finish(row, 'failed', 'the source is no longer a provider source of the config');
    const at = now();
    switch (row.infoType) {
      case 'create_auth':
      case 'reset_permanent_code': {
        if (!row.authCodeSealed) return finish(row, 'failed', 'the auth code is gone');
        const authCode = unseal(key(), row.authCodeSealed, authCodeContext(row.source));
        registerSecret(authCode);
        let corp;
        try {
          corp = await clients.suite(provider).getPermanentCode(authCode, options.signal ? { signal: options.signal } : {});
        } catch (error) {
          // Cut short by a shutdown: the next process (or this one, started again) tries again.
          if (options.signal?.aborted) throw error;
          const message = redactText((error as Error).message);
          const delayMs = Math.min(60_000, 5_000 * 2 ** (row.attempts - 1));
          if (worthRetrying(error) && at + delayMs < row.receivedAt + AUTH_CODE_LIFETIME_MS) {
            await store.authEvents.retryLater(row.id, owner, { delayMs, outcome: `exchange failed (${message}); tried again` });
            count(row.source, row.infoType, 'retried');
            log.warn(
              { source: row.source, infoType: row.infoType },
              `${row.infoType}: the exchange failed (${message}); tried again in ${delayMs / 1000} s`,
            );
            return;
          }
          return finish(row, 'failed', `the auth code could not be exchanged: ${message}`);
        }
        await store.saveAuthorization(
          {
            source: row.source,
            corpId: corp.corpId,
            corpName: corp.corpName ?? null,
            permanentCodeSealed: seal(key(), corp.permanentCode, codeContext(row.source, corp.corpId)),
            wecomTime: row.wecomTime,
            openKfids: row.openKfids,
          },
          at,
        );
        await store.forgetDiscovery(row.source, corp.corpId);
        await providers.sync(clients);
        return finish(row, 'done', 'authorized; it is collected from the next run', { id: corp.corpId, name: corp.corpName });
      }
      case 'change_auth': {
        const known = await store.markAuthorization({
          source: row.source,
          corpId: row.corpId!,
          state: 'active',
          wecomTime: row.wecomTime,
          at,
          openKfids: row.openKfids,
        });
        const corp = { id: row.corpId! };
        if (!known) return finish(row, 'done', 'is not an authorization this server holds: nothing to refresh', corp);
        await store.forgetDiscovery(row.source, row.corpId!);
        await providers.sync(clients);
        return finish(row, 'done', 'refreshed; its accounts are listed again on the next run', corp);
      }
      case 'cancel_auth': {
        // Its client and tokens are known here before the row changes.
        await providers.sync(clients);
        const known = await store.markAuthorization({
          source: row.source,
          corpId: row.corpId!,
          state: 'cancelled',
          wecomTime: row.wecomTime,
          at,
        });
        const corp = { id: row.corpId! };
        if (!known) return finish(row, 'done', 'is not an authorization this server holds (a configured corp stays until removed)', corp);
        await options
          .onCancelled?.({ source: row.source, corpId: row.corpId!, at })
          .catch((error: Error) =>
            log.warn({ source: row.source }, `the notices of a cancelled authorization could not be claimed: ${redactText(error.message)}`),
          );
        const days = retention();
        const archiveAt = days > 0 ? at + days * 86_400_000 : undefined;
        const deleted = await deleteCorpData(options, { source: row.source, corpId: row.corpId!, ...(archiveAt ? { archiveAt } : {}) });
        await providers.sync(clients);
        return finish(
          row,
          'done',
          archiveAt === undefined
            ? `cancelled: its data and ${deleted} archived days are deleted`
            : `cancelled: its data is deleted, its archived days go on ${new Date(archiveAt).toISOString()}`,
          corp,
        );
      }
    }
  };

  const drain = async () => {
    do {
      again = false;
      for (;;) {
        if (options.signal?.aborted) return;
        const row = await store.authEvents.claim(owner, EVENT_LEASE_MS);
        if (!row) break;
        try {
          await apply(row);
        } catch (error) {
          // The store (or a bug) failed mid-way: everything done is idempotent, so the event is tried again.
          const message = redactText((error as Error).message);
          log.error(
            { source: row.source, infoType: row.infoType },
            `${row.infoType} of source ${row.source} failed (${message}); tried again`,
          );
          count(row.source, row.infoType, 'retried');
          await store.authEvents.retryLater(row.id, owner, { delayMs: 5_000, outcome: `failed (${message}); tried again` }).catch(() => {});
        }
      }
    } while (again);
  };

  const events: AuthEvents = {
    async record(provider, event, receivedAt) {
      const fresh = await store.authEvents.record({
        source: provider.sourceId,
        infoType: event.infoType,
        dedupe: dedupeOf(provider.sourceId, event),
        corpId: 'authCorpId' in event ? event.authCorpId : null,
        authCodeSealed: 'authCode' in event ? seal(key(), event.authCode, authCodeContext(provider.sourceId)) : null,
        openKfids: event.openKfids ?? null,
        wecomTime: believedTime(event.timeStamp, receivedAt),
        receivedAt,
      });
      count(provider.sourceId, event.infoType, fresh ? 'recorded' : 'repeated');
      return fresh;
    },
    kick() {
      if (loop) {
        again = true;
        return;
      }
      loop = drain()
        .catch((error: Error) => log.error({}, `applying authorization events failed: ${redactText(error.message)}`))
        .finally(() => (loop = undefined));
    },
    async idle() {
      while (loop) await loop;
    },
    async tick() {
      events.kick();
      await events.idle();
      for (const corp of await store.corpsDue(now())) {
        const deleted = await deleteCorpData(options, corp);
        log.info(
          { source: corp.source, corp: corp.corpId },
          `corp ${corp.corpId} of source ${corp.source}: its ${deleted} archived days are deleted (retention.cancelledCorpDays ended)`,
        );
      }
      await store.authEvents.prune(now() - EVENTS_KEPT_MS);
    },
  };
  return events;
}
