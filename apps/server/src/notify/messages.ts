/**
 * What reports and notices say: each account's figures (yesterday, the same weekday a week
 * before, the 28-day median; a week against the week before), as WeCom markdown (page 91770:
 * headings, bold, quotes and `<font color>`), in Chinese or English, split into messages of at
 * most 4096 bytes at account boundaries.
 */
import { NOTIFY_METRICS, type NotifyMetric, type NotifyRule } from '@wecom-kf-stats/core/server-api';
import { addDays, type ChinaDay } from '../china-days.js';
import { METRICS, summarizeDays } from '../kf-core.js';
import { MARKDOWN_MAX_BYTES } from './robot.js';

export type Language = 'zh-CN' | 'en';
type Statistic = Record<string, unknown>;

export interface ReportMetric {
  name: NotifyMetric;
  /** The series it is read from: the account's corp statistics, or its servicer statistics without a servicer. */
  endpoint: 'corp' | 'servicer';
  /** The statistic's field. */
  field: string;
  kind: 'count' | 'ratio' | 'seconds';
  label: { en: string; zh: string };
}

const catalog = (key: string) => METRICS.find((m) => m.key === key)!;
const SOURCES: Record<NotifyMetric, { endpoint: 'corp' | 'servicer'; field: string; labelOf: string }> = {
  session_cnt: { endpoint: 'corp', field: 'session_cnt', labelOf: 'session_cnt' },
  customer_cnt: { endpoint: 'corp', field: 'customer_cnt', labelOf: 'customer_cnt' },
  // Every session a servicer statistic counts went to a human (its session_cnt plays servicer_session_cnt's part).
  human_session_cnt: { endpoint: 'servicer', field: 'session_cnt', labelOf: 'servicer_session_cnt' },
  reply_rate: { endpoint: 'servicer', field: 'reply_rate', labelOf: 'reply_rate' },
  first_reply_average_sec: { endpoint: 'servicer', field: 'first_reply_average_sec', labelOf: 'first_reply_average_sec' },
  satisfied_rate: { endpoint: 'servicer', field: 'satisfied_rate', labelOf: 'satisfied_rate' },
};

export const REPORT_METRICS: readonly ReportMetric[] = NOTIFY_METRICS.map((name) => {
  const { endpoint, field, labelOf } = SOURCES[name];
  const definition = catalog(labelOf);
  return {
    name,
    endpoint,
    field,
    kind: definition.kind as ReportMetric['kind'],
    label: { en: definition.label.en, zh: definition.label.zh },
  };
});
export const metricOf = (name: NotifyMetric) => REPORT_METRICS.find((m) => m.name === name)!;

export interface AccountRef {
  source: string;
  corpId: string;
  openKfid: string;
  name: string | null;
}

/** An account's archived days of the two series reports read (absent: not archived; null: no data that day). */
export interface AccountDays {
  account: AccountRef;
  corp: Map<ChinaDay, Statistic | null>;
  servicer: Map<ChinaDay, Statistic | null>;
}

/** The figure on a day: a number, null when the day has none, undefined when the day is not archived. */
export function figureOn(days: AccountDays, metric: ReportMetric, day: ChinaDay): number | null | undefined {
  const series = days[metric.endpoint];
  if (!series.has(day)) return undefined;
  const value = series.get(day)?.[metric.field];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface DailyFigure {
  value: number | null | undefined;
  weekAgo: number | null | undefined;
  /** Of the 28 days before `day` that have the figure. */
  median28: number | null;
}

export function dailyFigure(days: AccountDays, metric: ReportMetric, day: ChinaDay): DailyFigure {
  const before: number[] = [];
  for (let i = 1; i <= 28; i += 1) {
    const value = figureOn(days, metric, addDays(day, -i));
    if (typeof value === 'number') before.push(value);
  }
  return { value: figureOn(days, metric, day), weekAgo: figureOn(days, metric, addDays(day, -7)), median28: median(before) };
}

/** The 7 days ending `lastDay` and the 7 before, each summarized as core summarizes (counts summed, rates weighted). */
export function weeklyFigure(
  days: AccountDays,
  metric: ReportMetric,
  lastDay: ChinaDay,
): { value: number | null; previous: number | null } {
  const week = (end: ChinaDay) => {
    const list = [];
    for (let i = 6; i >= 0; i -= 1) {
      const date = addDays(end, -i);
      const series = days[metric.endpoint];
      if (series.has(date)) list.push({ date, stat_time: 0, statistic: series.get(date) ?? null });
    }
    return summarizeDays(metric.endpoint, list, { metrics: [metric.field] }).metrics[metric.field] ?? null;
  };
  return { value: week(lastDay), previous: week(addDays(lastDay, -7)) };
}

const WEEKDAYS: Record<Language, string[]> = {
  'zh-CN': ['周日', '周一', '周二', '周三', '周四', '周五', '周六'],
  en: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
};
export const weekdayOf = (day: ChinaDay) => new Date(`${day}T00:00:00Z`).getUTCDay();

export function formatValue(metric: ReportMetric, value: number | null | undefined, language: Language): string {
  if (value === undefined) return language === 'en' ? 'not archived' : '未归档';
  if (value === null) return language === 'en' ? 'none' : '无';
  switch (metric.kind) {
    case 'ratio':
      return `${(value * 100).toFixed(1)}%`;
    case 'seconds':
      return `${Math.round(value)} s`;
    default:
      return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }
}

/** The change from `before` to `value`, "+12.5%"; empty when it cannot be said. */
function change(value: number | null | undefined, before: number | null | undefined): string {
  if (typeof value !== 'number' || typeof before !== 'number' || before === 0) return '';
  const percent = ((value - before) / Math.abs(before)) * 100;
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(1)}%`;
}

/** Text from WeCom or an operator, safe inside the markdown: no markup, no line breaks, at most 64 characters. */
export function plain(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f<>*`[\]#_~|\\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 64);
}

const accountTitle = (a: AccountRef) =>
  `**${plain(a.name ?? a.openKfid) || a.openKfid}** <font color="comment">${plain(a.openKfid)} · ${plain(a.corpId)}</font>`;
const grey = (text: string) => `<font color="comment">${text}</font>`;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Messages of at most 4096 bytes: the title (numbered when there are several) and whole blocks;
 * a block that cannot fit alone is cut at a line.
 */
export function packMessages(title: (part: number, parts: number) => string, blocks: readonly string[]): string[] {
  const room = MARKDOWN_MAX_BYTES - bytes(title(99, 99)) - 2;
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (let block of blocks) {
    if (bytes(block) > room) {
      const lines = block.split('\n');
      while (lines.length > 1 && bytes(lines.join('\n')) > room - 4) lines.pop();
      block = `${lines.join('\n')}\n…`;
    }
    const cost = bytes(block) + 2;
    if (current.length > 0 && size + cost > room) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(block);
    size += cost;
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  return groups.map((group, i) => [title(i + 1, groups.length), ...group].join('\n\n'));
}

const numbered = (text: string, part: number, parts: number) => (parts > 1 ? `${text} (${part}/${parts})` : text);

/** Yesterday's report: per account, each figure beside the same weekday a week before and the 28-day median. */
export function renderDaily(language: Language, day: ChinaDay, accounts: readonly AccountDays[]): string[] {
  const en = language === 'en';
  const weekday = WEEKDAYS[language][weekdayOf(day)]!;
  const heading = en ? `## WeChat customer service, ${day} (${weekday})` : `## 微信客服日报 ${day}（${weekday}）`;
  const legend = grey(
    en ? 'beside: the same weekday a week before, and the median of the 28 days before' : '对比：上周同日，及此前 28 天中位数',
  );
  const blocks = accounts.map((days) => {
    const lines = [accountTitle(days.account)];
    if (REPORT_METRICS.every((m) => figureOn(days, m, day) === undefined)) {
      lines.push(grey(en ? `no figures for ${day} in the archive yet` : `归档中尚无 ${day} 的数据`));
      return lines.join('\n');
    }
    for (const metric of REPORT_METRICS) {
      const f = dailyFigure(days, metric, day);
      const delta = change(f.value, f.weekAgo);
      const week = en ? `week before ${formatValue(metric, f.weekAgo, language)}` : `上周同日 ${formatValue(metric, f.weekAgo, language)}`;
      const med = en ? `median ${formatValue(metric, f.median28, language)}` : `中位数 ${formatValue(metric, f.median28, language)}`;
      lines.push(
        `> ${en ? metric.label.en : metric.label.zh} **${formatValue(metric, f.value, language)}** ${grey(`${week}${delta ? ` (${delta})` : ''} · ${med}`)}`,
      );
    }
    return lines.join('\n');
  });
  if (blocks.length === 0) blocks.push(grey(en ? 'No accounts are collected for this destination yet.' : '此目标下尚无采集中的客服账号。'));
  return packMessages((part, parts) => `${numbered(heading, part, parts)}\n${legend}`, blocks);
}

/** The week ending `lastDay` against the week before. */
export function renderWeekly(language: Language, lastDay: ChinaDay, accounts: readonly AccountDays[]): string[] {
  const en = language === 'en';
  const first = addDays(lastDay, -6);
  const heading = en ? `## WeChat customer service, week ${first} to ${lastDay}` : `## 微信客服周报 ${first} 至 ${lastDay}`;
  const legend = grey(en ? 'beside: the 7 days before; counts summed, rates weighted' : '对比：之前 7 天；数量为合计，比率为加权平均');
  const blocks = accounts.map((days) => {
    const lines = [accountTitle(days.account)];
    for (const metric of REPORT_METRICS) {
      const f = weeklyFigure(days, metric, lastDay);
      const delta = change(f.value, f.previous);
      const before = en
        ? `week before ${formatValue(metric, f.previous, language)}`
        : `前一周 ${formatValue(metric, f.previous, language)}`;
      lines.push(
        `> ${en ? metric.label.en : metric.label.zh} **${formatValue(metric, f.value, language)}** ${grey(`${before}${delta ? ` (${delta})` : ''}`)}`,
      );
    }
    return lines.join('\n');
  });
  if (blocks.length === 0) blocks.push(grey(en ? 'No accounts are collected for this destination yet.' : '此目标下尚无采集中的客服账号。'));
  return packMessages((part, parts) => `${numbered(heading, part, parts)}\n${legend}`, blocks);
}

/** A rule as words: "reply rate below 80.0%". */
export function describeRule(rule: NotifyRule, language: Language): string {
  const en = language === 'en';
  if (rule.metric !== undefined) {
    const metric = metricOf(rule.metric);
    const label = en ? metric.label.en : metric.label.zh;
    if (rule.below !== undefined)
      return en
        ? `${label} below ${formatValue(metric, rule.below, language)}`
        : `${label}低于 ${formatValue(metric, rule.below, language)}`;
    if (rule.above !== undefined)
      return en
        ? `${label} above ${formatValue(metric, rule.above, language)}`
        : `${label}高于 ${formatValue(metric, rule.above, language)}`;
    return en
      ? `${label} down ${rule.dropByPercent}% or more against the same weekday a week before`
      : `${label}较上周同日下降 ${rule.dropByPercent}% 及以上`;
  }
  if (rule.stalledHours !== undefined)
    return en ? `no successful collection for ${rule.stalledHours} h` : `${rule.stalledHours} 小时无成功采集`;
  if (rule.ticketMinutes !== undefined)
    return en ? `suite ticket older than ${rule.ticketMinutes} min` : `suite_ticket 超过 ${rule.ticketMinutes} 分钟未更新`;
  return en ? 'authorization cancelled' : '企业取消授权';
}

export interface NoticeText {
  language: Language;
  rule: NotifyRule;
  state: 'firing' | 'cleared';
  /** Who or what it is about, already in words (an account's title, a source). */
  subject: string;
  /** What was seen, in words. */
  detail: string;
}

export function renderNotice(notice: NoticeText): string {
  const en = notice.language === 'en';
  const head =
    notice.state === 'firing'
      ? `### <font color="warning">${en ? 'Notice' : '提醒'}</font> ${describeRule(notice.rule, notice.language)}`
      : `### <font color="info">${en ? 'Cleared' : '已恢复'}</font> ${describeRule(notice.rule, notice.language)}`;
  return packMessages(() => head, [`${notice.subject}\n> ${notice.detail}`])[0]!;
}

export { accountTitle };
