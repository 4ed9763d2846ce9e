/**
 * A service provider's suites at run time: the newest suite_ticket (stored by the callback, shared
 * by replicas through the store), the corps that authorized a suite (their permanent codes sealed
 * in the store), and what each callback event changes.
 */
import type { CorpCredentials, ProviderSource } from '../config.js';
import { registerSecret, releaseSecret } from '../kf-core.js';
import type { AuthorizationRow, Store } from '../store/store.js';
import type { WecomClients } from '../wecom.js';
import { silentLog, type Log } from '../logger.js';
import type { AuthEventKind } from './auth-events.js';
import type { CallbackEvent } from './messages.js';
import { seal, unseal } from './sealed.js';

export interface Providers {
  readonly list: readonly ProviderSource[];
  find(sourceId: string): ProviderSource | undefined;
  /** The newest ticket of a suite: the stored one, else the pasted one. */
  suiteTicket(suiteId: string, pasted: string | undefined): Promise<string>;
  /** WeCom answered 40085 to `ticket`: if it is the stored one in use, the next one takes over. */
  ticketRejected(suiteId: string, ticket: string): Promise<void>;
  /** Bring the clients in line with the store: authorized corps called for, cancelled ones not. */
  sync(clients: WecomClients): Promise<{ added: number; removed: number }>;
  /** Apply a suite_ticket (or acknowledge an event the server does not use); returns a line for the log (no secret in it). */
  apply(provider: ProviderSource, event: Exclude<CallbackEvent, { infoType: AuthEventKind }>): Promise<string>;
  /** Every corp id of a source: configured ones and authorizations, with their state. */
  corpsOf(
    sourceId: string,
    configured: readonly string[],
  ): Promise<{ corpId: string; state: 'active' | 'cancelled'; archiveDeletedAt: number | null }[]>;
}

const ticketContext = (suiteId: string) => `suite_ticket:${suiteId}`;
/** What a sealed permanent code is bound to: its source and corp. */
export const codeContext = (source: string, corpId: string) => `permanent_code:${source}:${corpId}`;

/** A ticket lives 30 minutes (page 90628): an older stored one gives way to a pasted ticket. */
const TICKET_LIFETIME_SECONDS = 30 * 60;

/**
 * When an event or ticket counts as made: WeCom's TimeStamp, but never later than its arrival,
 * so that one stamped in the future cannot outrank every real one that follows.
 */
export function believedTime(wecomTime: number, receivedAtMs: number): number {
  return Math.min(wecomTime, Math.floor(receivedAtMs / 1000));
}

export interface ProvidersOptions {
  list: readonly ProviderSource[];
  store: Store;
  /** The store key (storeKeyEnv) that seals tickets and permanent codes. */
  storeKey: Buffer | undefined;
  now: () => number;
  /** @default silent */
  log?: Log;
}

export function createProviders(options: ProvidersOptions): Providers {
  const { list, store, storeKey, now } = options;
  const log = options.log ?? silentLog;
  const key = () => {
    if (!storeKey) throw new Error('storeKeyEnv is required to keep tickets and permanent codes');
    return storeKey;
  };
  const credentialsOf = (provider: ProviderSource, row: AuthorizationRow): CorpCredentials => {
    const permanentCode = unseal(key(), row.permanentCodeSealed, codeContext(row.source, row.corpId));
    registerSecret(permanentCode);
    return {
      sourceId: provider.sourceId,
      corpId: row.corpId,
      ...(row.openKfids ? { authorizedAccounts: row.openKfids } : {}),
      auth: {
        type: 'serviceProvider',
        suiteId: provider.suiteId,
        suiteSecret: provider.suiteSecret,
        suiteTicket: provider.suiteTicket,
        authCorpId: row.corpId,
        permanentCode,
      },
    };
  };
  // The permanent code each authorized client was built with, to rebuild it when a reset renews it.
  const builtWith = new Map<string, string>();
  const clientKey = (source: string, corpId: string) => `${source}\u0000${corpId}`;
  // The ticket of each suite held for redaction: released when a newer one replaces it.
  const heldTickets = new Map<string, string>();
  const holdTicket = (suiteId: string, ticket: string) => {
    const previous = heldTickets.get(suiteId);
    if (previous === ticket) return;
    registerSecret(ticket);
    if (previous !== undefined) releaseSecret(previous);
    heldTickets.set(suiteId, ticket);
  };
  // The stored ticket each suite's token was last asked with, to set it aside if WeCom refuses it.
  const handedOut = new Map<string, { id: number; ticket: string }>();
  // Syncs run one at a time, so a look taken before a cancellation never lands after it.
  let syncing: Promise<unknown> = Promise.resolve();
  const syncNow = async (clients: WecomClients) => {
    let added = 0;
    let removed = 0;
    for (const provider of list) {
      if (!provider.callbackAuthorizations) continue;
      for (const row of await store.listAuthorizations(provider.sourceId)) {
        const id = clientKey(row.source, row.corpId);
        if (row.state === 'cancelled') {
          builtWith.delete(id);
          if (clients.remove(row.source, row.corpId)) removed += 1;
          continue;
        }
        // Rebuilt when the code or the accounts the corp chose changed.
        const built = JSON.stringify([row.permanentCodeSealed, row.openKfids]);
        if (builtWith.get(id) === built && clients.find(row.source, row.corpId).length > 0) continue;
        let credentials: CorpCredentials;
        try {
          credentials = credentialsOf(provider, row);
        } catch (error) {
          // One row that does not open (another store key, a restored row) must not stop the rest.
          log.warn(
            { source: row.source, corp: row.corpId },
            `corp ${row.corpId} of source ${row.source} is skipped: ${(error as Error).message}`,
          );
          continue;
        }
        clients.add(credentials);
        builtWith.set(id, built);
        added += 1;
      }
    }
    return { added, removed };
  };

  const providers: Providers = {
    list,
    find: (sourceId) => list.find((p) => p.sourceId === sourceId),
    async suiteTicket(suiteId, pasted) {
      if (storeKey) {
        const stored = await store.suiteTicketInUse(suiteId);
        const alive = stored !== undefined && now() / 1000 - believedTime(stored.wecomTime, stored.receivedAt) < TICKET_LIFETIME_SECONDS;
        if (stored && (alive || pasted === undefined)) {
          const ticket = unseal(storeKey, stored.ticketSealed, ticketContext(suiteId));
          holdTicket(suiteId, ticket);
          handedOut.set(suiteId, { id: stored.id, ticket });
          return ticket;
        }
      }
      if (pasted !== undefined) return pasted;
      throw new Error(`no suite_ticket yet for suite ${suiteId}: WeCom pushes one to the callback URL every 10 minutes`);
    },
    async ticketRejected(suiteId, ticket) {
      const given = handedOut.get(suiteId);
      if (given?.ticket !== ticket) return;
      handedOut.delete(suiteId);
      await store.rejectSuiteTicket(suiteId, given.id);
      log.warn(
        { suite: suiteId, errcode: 40085 },
        `WeCom refused the stored suite_ticket of suite ${suiteId} (40085): the next newest one is used`,
      );
    },
    sync(clients) {
      const run = syncing.then(() => syncNow(clients));
      syncing = run.catch(() => {});
      return run;
    },
    async apply(provider, event) {
      const at = now();
      switch (event.infoType) {
        case 'suite_ticket': {
          holdTicket(provider.suiteId, event.suiteTicket);
          const kept = await store.offerSuiteTicket(
            provider.suiteId,
            seal(key(), event.suiteTicket, ticketContext(provider.suiteId)),
            event.timeStamp,
            at,
          );
          return kept ? 'suite_ticket stored; it is the one in use' : 'suite_ticket stored; a newer one stays in use';
        }
        case 'other':
          return `${event.name}: not used by the statistics server; acknowledged`;
      }
    },
    async corpsOf(sourceId, configured) {
      const corps = new Map<string, { corpId: string; state: 'active' | 'cancelled'; archiveDeletedAt: number | null }>(
        configured.map((corpId) => [corpId, { corpId, state: 'active', archiveDeletedAt: null }]),
      );
      if (list.some((p) => p.sourceId === sourceId && p.callbackAuthorizations)) {
        for (const row of await store.listAuthorizations(sourceId))
          if (!corps.has(row.corpId)) corps.set(row.corpId, { corpId: row.corpId, state: row.state, archiveDeletedAt: row.purgeAt });
      }
      return [...corps.values()];
    },
  };
  return providers;
}
