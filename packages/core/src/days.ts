// China days, WeCom's window, ranges, chunks and readiness: the rules every host that keeps or
// plans days applies (the server's archive and collector among them), as public API.
export {
  addDays,
  chinaDayOfEpochMs,
  chinaDayOfEpochSeconds,
  chinaMidnightEpochSeconds,
  chinaToday,
  dayRuns,
  daysBetween,
  describeDays,
  isChinaDay,
  listDays,
} from './china-day.js';
export type { ChinaDay } from './china-day.js';
export { parseDayInput, DAY_INPUT_ALLOWED } from './day-input.js';
export type { DayInput } from './day-input.js';
export { resolveRange, resolveArchiveRange, statisticsWindow } from './range.js';
export type { RangeInput, ResolvedRange, StatisticsWindow } from './range.js';
export { planChunks } from './chunks.js';
export type { Chunk } from './chunks.js';
export { isFinishedDay, READY_HOUR_CHINA } from './day-cache.js';
export { STATISTICS_PATHS } from './statistics.js';
