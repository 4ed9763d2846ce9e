/**
 * Reports and notices to WeCom group robots, from the server itself. Every minute or so `tick`
 * sends the reports that are due, judges the rules (each account's yesterday, each source's last
 * successful run, each suite's ticket) and sends what fires or clears. Whatever is sent is first
 * claimed in the store (one row, unique by what it is about), so that of any number of replicas
 * and runs exactly one sends it; a send whose process died is marked lost, never sent again.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DestinationRequest, NotifyReport, NotifyRule } from '@wecom-kf-stats/core/server-api';
import { addDays, chinaMidnightEpochSeconds, chinaToday, type ChinaDay } from '../china-days.js';
import type { ProviderSource, ServerConfig } from '../config.js';
import { isSealed, seal, unseal } from '../callback/sealed.js';
import { believedTime } from '../callback/provider.js';
import { redactText } from '../kf-core.js';
import { NotFoundError, ParameterError } from '../series.js';
import type { NotifyClaim, NotifyIncident, Store } from '../store/store.js';
import {
  accountTitle,
  dailyFigure,
  describeRule,
  formatValue,
  metricOf,
  plain,
  renderDaily,
  renderNotice,
  renderWeekly,
  REPORT_METRICS,
  weekdayOf,
  type AccountDays,
  type Language,
} from './messages.js';
import { createRobotClient, robotId, shownWebhook, type RobotClientOptions } from './robot.js';

interface Log {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface Destination {
  id: string;
  origin: 'config' | 'api';
  /** The webhook URL: a secret (its key), never shown. */
  webhook: string;
  sources: string[] | null;
  corps: string[] | null;
  accounts: string[] | null;
  language: Language;
  report: NotifyReport | null;
  rules: NotifyRule[];
}

export type MessageKind = 'daily' | 'weekly' | 'notice' | 'cleared' | 'test';

export interface NotifierOptions {
  config: Pick<ServerConfig, 'sources' | 'notify' | 'baseUrl'>;
  store: Store;
  /** The config's destinations' webhook URLs, by id (resolveWebhooks). */
  webhooks: ReadonlyMap<string, string>;
  /** The provider sources (for their tickets). */
  providers: readonly ProviderSource[];
  /** Seals the webhooks of destinations made through the API. */
  storeKey: Buffer | undefined;
  owner: string;
  now: () => number;
  log: Log;
  metrics?: { onNotify(event: { destination: string; kind: MessageKind; outcome: 'sent' | 'failed' | 'lost' }): void };
  /** Waits and retries of the robot client (tests shorten them). */
  robot?: Pick<RobotClientOptions, 'sleep' | 'retryDelayMs' | 'timeoutMs'>;
}

/** A report waits this long past its time for yesterday's figures to reach the archive, then goes with what there is. */
export const REPORT_DATA_WAIT_MS = 3 * 3_600_000;
/** A report not sent within this long of its time (the server was down) is skipped for that day. */
export const REPORT_CATCH_UP_MS = 12 * 3_600_000;
/** A send still 'sending' after this was lost with its process (a robot's slowest send takes about 3 minutes). */
export const SEND_LOST_AFTER_MS = 15 * 60_000;
/** Send records are kept this long. */
export const SEND_KEEP_MS = 90 * 86_400_000;

/** One message (or a report's messages) that would go out, with what makes it unique. */
interface Planned {
  kind: MessageKind;
  dedupe: string;
  what: string;
  contents: string[];
  source: string | null;
  corpId: string | null;
  /** A notice that opens or closes an incident (claimed together with it). */
  incident?: { action: 'open' | 'close'; incident: NotifyIncident };
}

const WECOM_ORIGIN = 'https://qyapi.weixin.qq.com';

/** The rule's identity: its fields in a fixed order (a changed threshold is a new rule). */
export const ruleKey = (rule: NotifyRule) =>
  JSON.stringify(Object.fromEntries(Object.entries(rule).sort(([a], [b]) => a.localeCompare(b))));

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Epoch ms of `HH:MM` China time on `day`. */
const timeOn = (day: ChinaDay, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return (chinaMidnightEpochSeconds(day) + h * 3600 + m * 60) * 1000;
};

/** A destination's scope, language, reports and rules, as given (config or API) with their defaults. */
function settingsOf(d: Omit<DestinationRequest, 'id' | 'webhook'>): Omit<Destination, 'id' | 'origin' | 'webhook'> {
  return {
    sources: d.sources ?? null,
    corps: d.corps ?? null,
    accounts: d.accounts ?? null,
    language: d.language ?? 'zh-CN',
    report: d.report ?? null,
    rules: d.rules ?? [],
  };
}

const inScope = (list: readonly string[] | null, value: string) => list === null || list.includes(value);

export interface Notifier {
  /** The config's destinations and those made through the API. */
  destinations(): Promise<Destination[]>;
  /** Make a destination (admin route): its webhook kept sealed with the store key. */
  add(request: DestinationRequest): Promise<Destination>;
  /** 'config' when it is the config file's (removed there only). */
  remove(id: string): Promise<'removed' | 'config' | 'unknown'>;
  /** Send what is due; resolves when this round's sends are done. */
  tick(): Promise<void>;
  /** What would go out now (reports as they would read now, notices that would fire or clear), sending nothing. */
  preview(id?: string): Promise<{ destination: string; messages: { kind: MessageKind; what: string; content: string }[] }[]>;
  /** One short text to check a destination's webhook. */
  test(id: string): Promise<{ destination: string; outcome: string }>;
  /** A corp cancelled its authorization: claimed for each destination that watches it (before its data goes), sent in the background. */
  cancelled(event: { source: string; corpId: string; at: number }): Promise<void>;
  /** The sends in flight, finished. */
  idle(): Promise<void>;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { config, store, owner, now, log } = options;
  const robot = createRobotClient({ store, now, ...options.robot });
  const startedAt = now();
  const inFlight = new Set<Promise<void>>();
  /** Robots whose key WeCom refused: nothing more goes to them from this process. */
  const refused = new Set<string>();
  /** Reports known to be claimed (by any replica). */
  const claimed = new Set<string>();
  /** What the metric rules were last judged on, per destination: judged again when it changes. */
  const judgedOn = new Map<string, string>();
  const sourceIds = config.sources.map((s) => s.id);

  const sealContext = (id: string) => `kf_notify_destinations:${id}`;

  async function destinations(): Promise<Destination[]> {
    const fromConfig: Destination[] = config.notify.map((d) => ({
      id: d.id,
      origin: 'config',
      webhook: options.webhooks.get(d.id) ?? '',
      ...settingsOf(d),
    }));
    const stored = await store.notify.listDestinations();
    const made: Destination[] = [];
    for (const row of stored) {
      if (fromConfig.some((d) => d.id === row.id)) continue;
      let webhook = '';
      try {
        webhook = options.storeKey && isSealed(row.webhookSealed) ? unseal(options.storeKey, row.webhookSealed, sealContext(row.id)) : '';
      } catch (error) {
        log.error({ destination: row.id }, `destination "${row.id}": ${(error as Error).message}; nothing is sent to it`);
      }
      made.push({ ...row, origin: 'api', webhook, sources: row.sources, corps: row.corps, accounts: row.accounts });
    }
    return [...fromConfig, ...made];
  }

  const findDestination = async (id: string) => {
    const found = (await destinations()).find((d) => d.id === id);
    if (!found) throw new NotFoundError(`no destination is named "${id}"`);
    return found;
  };

  /** The accounts a destination covers, with their days from `from` to `to`. */
  async function accountDays(destination: Destination, from: ChinaDay, to: ChinaDay): Promise<AccountDays[]> {
    const sources = sourceIds.filter((id) => inScope(destination.sources, id));
    if (sources.length === 0) return [];
    const accounts = (await store.notify.accounts(sources)).filter(
      (a) => inScope(destination.corps, a.corpId) && inScope(destination.accounts, a.openKfid),
    );
    const byKey = new Map<string, AccountDays>();
    for (const account of accounts)
      byKey.set(`${account.source}\n${account.corpId}\n${account.openKfid}`, { account, corp: new Map(), servicer: new Map() });
    for (const row of await store.notify.accountDays(sources, from, to)) {
      byKey.get(`${row.source}\n${row.corpId}\n${row.openKfid}`)?.[row.endpoint].set(row.day, row.statistic);
    }
    return [...byKey.values()];
  }

  const yesterdayOf = (t: number) => addDays(chinaToday(t), -1);

  function dailyReport(destination: Destination, accounts: AccountDays[], day: ChinaDay): Planned {
    return {
      kind: 'daily',
      dedupe: `daily|${destination.id}|${day}`,
      what: `daily report of ${day}`,
      contents: renderDaily(destination.language, day, accounts),
      source: null,
      corpId: null,
    };
  }

  function weeklyReport(destination: Destination, accounts: AccountDays[], lastDay: ChinaDay): Planned {
    return {
      kind: 'weekly',
      dedupe: `weekly|${destination.id}|${lastDay}`,
      what: `weekly report of ${addDays(lastDay, -6)} to ${lastDay}`,
      contents: renderWeekly(destination.language, lastDay, accounts),
      source: null,
      corpId: null,
    };
  }

  /** A notice that opens an incident, or the one that says it cleared. */
  function notice(
    destination: Destination,
    rule: NotifyRule,
    action: 'open' | 'close',
    subject: { key: string; words: string; source: string | null; corpId: string | null },
    day: string,
    detail: string,
  ): Planned {
    const kind = action === 'open' ? 'notice' : 'cleared';
    const key = ruleKey(rule);
    return {
      kind,
      dedupe: `${kind}|${destination.id}|${key}|${subject.key}|${day}`,
      what: `${kind === 'notice' ? 'notice' : 'cleared'}: ${describeRule(rule, 'en')}, ${subject.corpId ? 'an account' : plain(subject.key)}, ${day}`,
      contents: [
        renderNotice({
          language: destination.language,
          rule,
          state: action === 'open' ? 'firing' : 'cleared',
          subject: subject.words,
          detail,
        }),
      ],
      source: subject.source,
      corpId: subject.corpId,
      incident: {
        action,
        incident: { destination: destination.id, rule: key, subject: subject.key, source: subject.source, corpId: subject.corpId, day },
      },
    };
  }

  /** The metric rules judged on each account's `day`: notices that open, and those that clear. */
  function metricNotices(destination: Destination, accounts: AccountDays[], day: ChinaDay, open: Map<string, NotifyIncident>): Planned[] {
    const out: Planned[] = [];
    const en = destination.language === 'en';
    for (const rule of destination.rules) {
      if (rule.metric === undefined) continue;
      const metric = metricOf(rule.metric);
      const key = ruleKey(rule);
      const label = en ? metric.label.en : metric.label.zh;
      for (const days of accounts) {
        const a = days.account;
        const subject = { key: `${a.source}/${a.corpId}/${a.openKfid}`, words: accountTitle(a), source: a.source, corpId: a.corpId };
        const f = dailyFigure(days, metric, day);
        if (typeof f.value !== 'number') continue;
        const shown = formatValue(metric, f.value, destination.language);
        let fires: boolean;
        let detail: string;
        if (rule.dropByPercent !== undefined) {
          if (typeof f.weekAgo !== 'number' || f.weekAgo <= 0) continue;
          const drop = ((f.weekAgo - f.value) / f.weekAgo) * 100;
          fires = drop >= rule.dropByPercent;
          const was = formatValue(metric, f.weekAgo, destination.language);
          detail = en
            ? `${label} ${shown} on ${day}, ${drop >= 0 ? `down ${drop.toFixed(1)}%` : `up ${(-drop).toFixed(1)}%`} from ${was} on ${addDays(day, -7)} (threshold: down ${rule.dropByPercent}%)`
            : `${day} ${label} ${shown}，较 ${addDays(day, -7)} 的 ${was}${drop >= 0 ? `下降 ${drop.toFixed(1)}%` : `上升 ${(-drop).toFixed(1)}%`}（阈值：下降 ${rule.dropByPercent}%）`;
        } else {
          const threshold = (rule.below ?? rule.above)!;
          fires = rule.below !== undefined ? f.value < threshold : f.value > threshold;
          const limit = `${rule.below !== undefined ? (en ? 'below' : '低于') : en ? 'above' : '高于'} ${formatValue(metric, threshold, destination.language)}`;
          detail = en ? `${label} ${shown} on ${day} (threshold: ${limit})` : `${day} ${label} ${shown}（阈值：${limit}）`;
        }
        const incident = open.get(`${key}\n${subject.key}`);
        if (fires && !incident) out.push(notice(destination, rule, 'open', subject, day, detail));
        if (!fires && incident && incident.day < day)
          out.push(
            notice(destination, rule, 'close', subject, day, `${detail}${en ? `; since ${incident.day}` : `；自 ${incident.day} 起`}`),
          );
      }
    }
    return out;
  }

  /** `stalledHours` and `ticketMinutes`, judged now. */
  async function healthNotices(destination: Destination, open: Map<string, NotifyIncident>): Promise<Planned[]> {
    const out: Planned[] = [];
    const t = now();
    const en = destination.language === 'en';
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    const judge = (rule: NotifyRule, key: string, words: string, fires: boolean, detail: string, since: number) => {
      const incident = open.get(`${ruleKey(rule)}\n${key}`);
      const subject = { key, words, source: null, corpId: null };
      if (fires && !incident) out.push(notice(destination, rule, 'open', subject, iso(since), detail));
      if (!fires && incident) out.push(notice(destination, rule, 'close', subject, iso(t), detail));
    };
    const stalled = destination.rules.filter((r) => r.stalledHours !== undefined);
    if (stalled.length > 0) {
      const stats = new Map((await store.sourceStats()).map((s) => [s.source, s]));
      for (const sourceId of sourceIds.filter((id) => inScope(destination.sources, id))) {
        const last = stats.get(sourceId)?.lastSuccessAt ?? null;
        const since = last ?? startedAt;
        const hours = (t - since) / 3_600_000;
        for (const rule of stalled) {
          const detail = en
            ? `source ${sourceId}: ${last === null ? 'no successful collection run yet' : `last successful run ${iso(last)}`}, ${hours.toFixed(1)} h ago (threshold: ${rule.stalledHours} h)`
            : `数据源 ${sourceId}：${last === null ? '尚无成功采集' : `上次成功采集于 ${iso(last)}`}，已 ${hours.toFixed(1)} 小时（阈值：${rule.stalledHours} 小时）`;
          judge(rule, `source:${sourceId}`, `**${plain(sourceId)}**`, hours > rule.stalledHours!, detail, since);
        }
      }
    }
    const ticketRules = destination.rules.filter((r) => r.ticketMinutes !== undefined);
    for (const provider of options.providers.filter((p) => p.callbackAuthorizations && inScope(destination.sources, p.sourceId))) {
      if (ticketRules.length === 0) break;
      const ticket = await store.suiteTicketInUse(provider.suiteId);
      const since = ticket ? believedTime(ticket.wecomTime, ticket.receivedAt) * 1000 : startedAt;
      const minutes = (t - since) / 60_000;
      for (const rule of ticketRules) {
        const detail = en
          ? `source ${provider.sourceId}: ${ticket ? `newest suite_ticket from ${iso(since)}` : 'no suite_ticket received yet'}, ${minutes.toFixed(0)} min ago (threshold: ${rule.ticketMinutes} min; WeCom pushes one every 10)`
          : `数据源 ${provider.sourceId}：${ticket ? `最新 suite_ticket 于 ${iso(since)}` : '尚未收到 suite_ticket'}，已 ${minutes.toFixed(0)} 分钟（阈值：${rule.ticketMinutes} 分钟；企业微信每 10 分钟推送一次）`;
        judge(rule, `suite:${provider.sourceId}`, `**${plain(provider.sourceId)}**`, minutes > rule.ticketMinutes!, detail, since);
      }
    }
    return out;
  }

  /** Reports due now for a destination (each once a day, or a week). */
  async function dueReports(destination: Destination): Promise<Planned[]> {
    const report = destination.report;
    if (!report) return [];
    const t = now();
    const today = chinaToday(t);
    const yesterday = addDays(today, -1);
    const due: { kind: 'daily' | 'weekly'; at: number; dedupe: string }[] = [];
    if (report.daily) due.push({ kind: 'daily', at: timeOn(today, report.daily), dedupe: `daily|${destination.id}|${yesterday}` });
    if (report.weekly) {
      const [weekday, hhmm] = report.weekly.split(' ') as [string, string];
      if (WEEKDAY_NAMES[weekdayOf(today)] === weekday)
        due.push({ kind: 'weekly', at: timeOn(today, hhmm), dedupe: `weekly|${destination.id}|${yesterday}` });
    }
    const open = due.filter((d) => t >= d.at && t < d.at + REPORT_CATCH_UP_MS && !claimed.has(d.dedupe));
    if (open.length === 0) return [];
    const taken = await store.notify.claimedAmong(open.map((d) => d.dedupe));
    for (const d of taken) claimed.add(d);
    const left = open.filter((d) => !taken.has(d.dedupe));
    if (left.length === 0) return [];
    const accounts = await accountDays(destination, addDays(yesterday, -35), yesterday);
    // Yesterday's figures are in the archive (every account has its row for the day), or the wait is over.
    const ready = accounts.length > 0 && accounts.every((a) => a.corp.has(yesterday) || a.servicer.has(yesterday));
    return left
      .filter((d) => ready || t >= d.at + REPORT_DATA_WAIT_MS)
      .map((d) => (d.kind === 'daily' ? dailyReport(destination, accounts, yesterday) : weeklyReport(destination, accounts, yesterday)));
  }

  /** The notices a destination's rules give now. */
  async function dueNotices(destination: Destination): Promise<Planned[]> {
    if (destination.rules.length === 0) return [];
    await store.notify.dropIncidents(destination.id, destination.rules.map(ruleKey));
    const open = new Map((await store.notify.incidents(destination.id)).map((i) => [`${i.rule}\n${i.subject}`, i]));
    const out = await healthNotices(destination, open);
    if (destination.rules.some((r) => r.metric !== undefined)) {
      const yesterday = yesterdayOf(now());
      // Judged again only when the archive (or the day, or the rules) moved since.
      const basis = JSON.stringify([yesterday, destination.rules, await store.sourceStats()]);
      if (judgedOn.get(destination.id) !== basis) {
        const accounts = await accountDays(destination, addDays(yesterday, -7), yesterday);
        out.push(...metricNotices(destination, accounts, yesterday, open));
        judgedOn.set(destination.id, basis);
      }
    }
    return out;
  }

  /** Send a claimed message's parts in order, then record how it went. */
  async function deliver(
    id: number,
    destination: Destination,
    planned: Pick<Planned, 'kind' | 'what' | 'contents'>,
    msgtype: 'markdown' | 'text' = 'markdown',
  ): Promise<string> {
    const robotName = destination.webhook ? robotId(destination.webhook) : '';
    /** A refused key is logged once, on its first refusal. */
    let quiet = false;
    let partsSent = 0;
    let attempts = 0;
    let result: { state: 'sent' | 'failed'; outcome: string } = { state: 'sent', outcome: 'sent' };
    if (!destination.webhook) result = { state: 'failed', outcome: 'the destination has no usable webhook' };
    else if (planned.kind !== 'test' && refused.has(robotName)) {
      result = { state: 'failed', outcome: 'not sent: the robot refused this webhook key earlier (see the log)' };
      quiet = true;
    } else {
      for (const content of planned.contents) {
        const sent = await robot.send(destination.webhook, { msgtype, content });
        attempts += sent.attempts;
        if (sent.state !== 'sent') {
          result = {
            state: 'failed',
            outcome: partsSent > 0 ? `${sent.outcome} (after ${partsSent} of ${planned.contents.length} messages)` : sent.outcome,
          };
          if (sent.badKey) quiet = true;
          if (sent.badKey && !refused.has(robotName)) {
            refused.add(robotName);
            log.error(
              { destination: destination.id, robot: robotName },
              `destination "${destination.id}": ${sent.outcome}; nothing more is sent to ${shownWebhook(destination.webhook)} until its webhook is fixed (and the server restarted, or the destination made again)`,
            );
          }
          break;
        }
        partsSent += 1;
      }
    }
    await store.notify.finish(id, owner, { ...result, partsSent, attempts, at: now() });
    options.metrics?.onNotify({ destination: destination.id, kind: planned.kind, outcome: result.state });
    const line = `destination "${destination.id}": ${planned.what}: ${result.outcome}`;
    if (result.state === 'sent') log.info({ destination: destination.id, kind: planned.kind }, line);
    else if (!quiet) log.warn({ destination: destination.id, kind: planned.kind }, line);
    return result.outcome;
  }

  const track = (work: Promise<unknown>) => {
    const done: Promise<void> = work.then(
      () => {},
      (error: Error) => log.error({}, `a group robot send failed: ${redactText(error.message)}`),
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
    return done;
  };

  /** Claim (with its incident, for notices): the send's id, or undefined when it is claimed already. */
  async function claimOf(destination: Destination, planned: Planned): Promise<number | undefined> {
    const claim: NotifyClaim = {
      destination: destination.id,
      kind: planned.kind,
      dedupe: planned.dedupe.length > 200 ? `${planned.dedupe.slice(0, 120)}#${hash(planned.dedupe)}` : planned.dedupe,
      source: planned.source,
      corpId: planned.corpId,
      what: planned.what,
      owner,
      at: now(),
      parts: planned.contents.length,
    };
    const id = planned.incident
      ? planned.incident.action === 'open'
        ? await store.notify.openIncident(planned.incident.incident, claim)
        : await store.notify.closeIncident(planned.incident.incident, claim)
      : await store.notify.claim(claim);
    if (planned.kind === 'daily' || planned.kind === 'weekly') claimed.add(planned.dedupe);
    return id;
  }

  async function claimAndSend(destination: Destination, planned: Planned): Promise<void> {
    const id = await claimOf(destination, planned);
    if (id !== undefined) await deliver(id, destination, planned);
  }

  async function sweepLost(): Promise<void> {
    for (const lost of await store.notify.markLost(now() - SEND_LOST_AFTER_MS, now())) {
      options.metrics?.onNotify({ destination: lost.destination, kind: lost.kind, outcome: 'lost' });
      log.error(
        { destination: lost.destination, kind: lost.kind },
        `destination "${lost.destination}": ${lost.what}: lost (its process stopped while sending, ${lost.partsSent} of ${lost.parts} messages recorded); not sent again, so that it is never sent twice`,
      );
    }
  }

  let lastPrune = 0;
  return {
    destinations,
    async add(request) {
      if (!options.storeKey)
        throw new ParameterError(
          'webhook',
          'the server keeps a webhook only sealed with the store key: set storeKeyEnv in its config first',
        );
      if (config.notify.some((d) => d.id === request.id))
        throw new ParameterError('id', `"${request.id}" is a destination of the config file; choose another id`);
      // The server posts only to WeCom (or to the origin it reaches WeCom through): a webhook elsewhere
      // would let a key make the server call any host.
      const allowed = new Set([WECOM_ORIGIN, new URL(options.config.baseUrl).origin]);
      if (!allowed.has(new URL(request.webhook).origin))
        throw new ParameterError('webhook', `a group robot's webhook on ${[...allowed].join(' or ')} (WeCom's API origin)`);
      const unknown = request.sources?.find((s) => !sourceIds.includes(s));
      if (unknown !== undefined)
        throw new ParameterError(
          `sources[${request.sources!.indexOf(unknown)}]`,
          `"${unknown}" is not a source of this server; sources: ${sourceIds.join(', ')}`,
        );
      const row = {
        id: request.id,
        webhookSealed: seal(options.storeKey, request.webhook, sealContext(request.id)),
        ...settingsOf(request),
        createdAt: now(),
      };
      if (!(await store.notify.saveDestination(row))) throw new ParameterError('id', `a destination is already named "${request.id}"`);
      return { ...row, origin: 'api' as const, webhook: request.webhook };
    },
    async remove(id) {
      if (config.notify.some((d) => d.id === id)) return 'config';
      return (await store.notify.deleteDestination(id)) ? 'removed' : 'unknown';
    },
    async tick() {
      await sweepLost();
      if (now() - lastPrune > 86_400_000) {
        lastPrune = now();
        await store.notify.prune(now() - SEND_KEEP_MS);
      }
      const sends: Promise<void>[] = [];
      for (const destination of await destinations()) {
        try {
          const planned = [...(await dueReports(destination)), ...(await dueNotices(destination))];
          // One destination's messages in order (a robot takes 20 a minute); destinations side by side.
          sends.push(
            track(
              (async () => {
                for (const p of planned) await claimAndSend(destination, p);
              })(),
            ),
          );
        } catch (error) {
          log.warn(
            { destination: destination.id },
            `destination "${destination.id}": cannot judge what is due: ${redactText((error as Error).message)}`,
          );
        }
      }
      await Promise.all(sends);
    },
    async preview(id) {
      const list = id === undefined ? await destinations() : [await findDestination(id)];
      const yesterday = yesterdayOf(now());
      const out = [];
      for (const destination of list) {
        const messages: { kind: MessageKind; what: string; content: string }[] = [];
        const planned: Planned[] = [];
        if (destination.report) {
          const accounts = await accountDays(destination, addDays(yesterday, -35), yesterday);
          if (destination.report.daily) planned.push(dailyReport(destination, accounts, yesterday));
          if (destination.report.weekly) planned.push(weeklyReport(destination, accounts, yesterday));
        }
        const open = new Map((await store.notify.incidents(destination.id)).map((i) => [`${i.rule}\n${i.subject}`, i]));
        planned.push(...(await healthNotices(destination, open)));
        if (destination.rules.some((r) => r.metric !== undefined))
          planned.push(...metricNotices(destination, await accountDays(destination, addDays(yesterday, -7), yesterday), yesterday, open));
        for (const p of planned) for (const content of p.contents) messages.push({ kind: p.kind, what: p.what, content });
        out.push({ destination: destination.id, messages });
      }
      return out;
    },
    async test(id) {
      const destination = await findDestination(id);
      const en = destination.language === 'en';
      const content = en
        ? `wecom-kf-stats: a test message for destination "${destination.id}", sent ${new Date(now()).toISOString()}. Reports and notices will arrive here.`
        : `wecom-kf-stats：目标「${destination.id}」的测试消息，发送于 ${new Date(now()).toISOString()}。日报和提醒将发送到此群。`;
      const planned = { kind: 'test' as const, what: 'test message', contents: [content] };
      const claimId = await claimOf(destination, {
        ...planned,
        dedupe: `test|${destination.id}|${randomUUID()}`,
        source: null,
        corpId: null,
      });
      const outcome = await deliver(claimId!, destination, planned, 'text');
      return { destination: destination.id, outcome };
    },
    async cancelled({ source, corpId, at }) {
      const en = (d: Destination) => d.language === 'en';
      for (const destination of await destinations()) {
        const rule = destination.rules.find((r) => r.authorizationCancelled);
        if (!rule || !inScope(destination.sources, source) || !inScope(destination.corps, corpId)) continue;
        const day = new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
        const detail = en(destination)
          ? `corp ${plain(corpId)} of source ${plain(source)} cancelled its authorization at ${day}; its data is deleted as WeCom requires`
          : `数据源 ${plain(source)} 的企业 ${plain(corpId)} 于 ${day} 取消授权；按企业微信要求删除其数据`;
        const planned: Planned = {
          kind: 'notice',
          // Nothing of the corp in the record: it outlives the corp's data.
          dedupe: `cancelled|${destination.id}|${hash(`${source}\n${corpId}\n${at}`)}`,
          what: `notice: authorization cancelled (a corp of source ${source})`,
          contents: [renderNotice({ language: destination.language, rule, state: 'firing', subject: `**${plain(corpId)}**`, detail })],
          source: null,
          corpId: null,
        };
        const id = await claimOf(destination, planned);
        if (id !== undefined) void track(deliver(id, destination, planned));
      }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

export { REPORT_METRICS };
