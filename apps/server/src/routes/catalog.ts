/** What a source has: its sources and corps, accounts and servicers (listed by WeCom once, then from the store). */
import { seesAll, seesSource } from '../access.js';
import { chinaDayOfEpochMs } from '../china-days.js';
import { ROUTE_SCHEMAS } from '../openapi.js';
import { corpClient, corpsOfSource, corpsSeenBy, findSource, pickCorp } from '../series.js';
import type { ApiRoutes, RouteContext } from './context.js';

export function registerCatalogRoutes(api: ApiRoutes, context: RouteContext): void {
  const { config, store, clients, providers, now, live } = context;
  // Only what the key sees: its sources, and in each the corps it may read (a source where it sees
  // none is left out); pending and failed authorizations for keys that see the whole source.
  api.get('/api/v1/sources', { schema: ROUTE_SCHEMAS.sources }, async (request) => {
    const access = context.accessOf(request);
    const listed = await Promise.all(
      config.sources
        .filter((s) => seesSource(access, s.id))
        .map(async (s) => {
          const corps = await corpsSeenBy(providers, s, access);
          if (corps === undefined) return undefined;
          const cancelled = corps.filter((c) => c.state === 'cancelled');
          const events = seesAll(access) && s.auth.type === 'serviceProvider' ? await store.authEvents.list(s.id) : [];
          return {
            id: s.id,
            type: s.auth.type,
            collect: [...s.collect],
            corps: corps.map((c) => c.corpId),
            ...(cancelled.length
              ? {
                  cancelled_corps: cancelled.map((c) => ({
                    corpid: c.corpId,
                    archive_deleted_on: c.archiveDeletedAt === null ? null : chinaDayOfEpochMs(c.archiveDeletedAt),
                  })),
                }
              : {}),
            ...(events.length
              ? {
                  authorizations: events.map((e) => ({
                    event: e.infoType,
                    state: e.state === 'failed' ? ('failed' as const) : ('pending' as const),
                    corpid: e.corpId,
                    received_at: new Date(e.receivedAt).toISOString(),
                    attempts: e.attempts,
                    outcome: e.outcome,
                  })),
                }
              : {}),
          };
        }),
    );
    return { sources: listed.filter((s) => s !== undefined) };
  });

  api.get('/api/v1/accounts', { schema: ROUTE_SCHEMAS.accounts }, async (request) => {
    const query = request.query;
    const access = context.accessOf(request);
    const source = findSource(config, query, access);
    const corps = await corpsOfSource(providers, source, access);
    const corpId = query.corpid ? pickCorp(corps, source, query, access).corpId : corps.length === 1 ? corps[0]!.corpId : undefined;
    const visible = new Set(corps.map((c) => c.corpId));
    const ofScope = <R extends { corpId: string }>(rows: R[]) => rows.filter((r) => visible.has(r.corpId));
    let rows = ofScope(await store.listAccounts(source.id, corpId));
    if (rows.length === 0) {
      // Not discovered yet: ask WeCom and remember the answer.
      if (corpId !== undefined) await corpClient(context, source.id, corpId);
      for (const corp of ofScope(clients.find(source.id, corpId))) {
        const listed = await corp.client.listAccounts();
        await store.saveAccounts(
          source.id,
          corp.corpId,
          listed.map((a) => ({ openKfid: a.open_kfid, name: a.name ?? null })),
          now(),
        );
      }
      rows = ofScope(await store.listAccounts(source.id, corpId));
    }
    return { source: source.id, accounts: rows.map((r) => ({ corpid: r.corpId, open_kfid: r.openKfid, name: r.name })) };
  });

  api.get('/api/v1/servicers', { schema: ROUTE_SCHEMAS.servicers }, async (request) => {
    const query = request.query;
    const access = context.accessOf(request);
    const source = findSource(config, query, access);
    const { corpId } = pickCorp(await corpsOfSource(providers, source, access), source, query, access);
    const openKfid = query.open_kfid;
    let rows = await store.listServicers(source.id, openKfid, corpId);
    const corp = rows.length === 0 ? await corpClient(context, source.id, corpId) : undefined;
    if (rows.length === 0 && corp) {
      const refusalKey = JSON.stringify(['servicers', source.id, corpId, openKfid]);
      const refused = live.refusals.get(refusalKey, now());
      if (refused) throw refused;
      const listed = await corp.client.listServicers(openKfid).catch((error: unknown) => {
        live.refusals.note(refusalKey, error, now());
        throw error;
      });
      const servicers = listed.map((s) => ({ userid: s.userid ?? s.open_userid ?? '', status: s.status ?? null })).filter((s) => s.userid);
      await store.saveServicers({ source: source.id, corpId, openKfid, servicers, seenAt: now() });
      rows = await store.listServicers(source.id, openKfid, corpId);
    }
    return {
      source: source.id,
      open_kfid: openKfid,
      servicers: rows.map((r) => ({ servicer_userid: r.servicerUserid, status: r.status })),
    };
  });
}
