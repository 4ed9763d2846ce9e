/** What a source has: its sources and corps, accounts and servicers (listed by WeCom once, then from the store). */
import { ROUTE_SCHEMAS } from '../openapi.js';
import { corpClient, corpsOfSource, findSource, pickCorp } from '../series.js';
import type { ApiRoutes, RouteContext } from './context.js';

export function registerCatalogRoutes(api: ApiRoutes, context: RouteContext): void {
  const { config, store, clients, providers, now, live } = context;
  api.get('/api/v1/sources', { schema: ROUTE_SCHEMAS.sources }, async () => ({
    sources: await Promise.all(
      config.sources.map(async (s) => {
        const corps = await corpsOfSource(providers, s);
        const cancelled = corps.filter((c) => c.state === 'cancelled').map((c) => c.corpId);
        return {
          id: s.id,
          type: s.auth.type,
          collect: [...s.collect],
          corps: corps.map((c) => c.corpId),
          ...(cancelled.length ? { cancelled_corps: cancelled } : {}),
        };
      }),
    ),
  }));

  api.get('/api/v1/accounts', { schema: ROUTE_SCHEMAS.accounts }, async (request) => {
    const query = request.query;
    const source = findSource(config, query);
    const corps = await corpsOfSource(providers, source);
    const corpId = query.corpid ? pickCorp(corps, source, query).corpId : corps.length === 1 ? corps[0]!.corpId : undefined;
    let rows = await store.listAccounts(source.id, corpId);
    if (rows.length === 0) {
      // Not discovered yet: ask WeCom and remember the answer.
      if (corpId !== undefined) await corpClient(context, source.id, corpId);
      for (const corp of clients.find(source.id, corpId)) {
        const listed = await corp.client.listAccounts();
        await store.saveAccounts(
          source.id,
          corp.corpId,
          listed.map((a) => ({ openKfid: a.open_kfid, name: a.name ?? null })),
          now(),
        );
      }
      rows = await store.listAccounts(source.id, corpId);
    }
    return { source: source.id, accounts: rows.map((r) => ({ corpid: r.corpId, open_kfid: r.openKfid, name: r.name })) };
  });

  api.get('/api/v1/servicers', { schema: ROUTE_SCHEMAS.servicers }, async (request) => {
    const query = request.query;
    const source = findSource(config, query);
    const { corpId } = pickCorp(await corpsOfSource(providers, source), source, query);
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
