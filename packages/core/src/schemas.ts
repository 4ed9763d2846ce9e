/**
 * zod schemas for WeCom's requests and responses (docs/wecom-api.md §1, §3, §4). Public types are
 * inferred from them. Unknown fields are kept (`looseObject`): WeCom adds fields over time.
 */
import { z } from 'zod';

/** errcode/errmsg ride in every HTTP 200 body; suite endpoints omit them on success (page 97162). */
export const wecomEnvelopeSchema = z.looseObject({
  errcode: z.number().int().optional(),
  errmsg: z.string().optional(),
});

/** A statistics value: a number, or absent. Unknown fields keep whatever WeCom sent. */
export const statisticSchema = z.record(z.string(), z.unknown());

/** Plain JSON object check; each value is checked against the catalog when the day is decoded. */
const jsonObject = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
  error: 'statistic as an object of metrics',
});

export const statisticDaySchema = z.looseObject({
  stat_time: z.number({ error: 'stat_time as unix seconds' }).int({ error: 'stat_time as whole unix seconds' }),
  statistic: jsonObject.optional(),
});

export const statisticsResponseSchema = z.looseObject({
  statistic_list: z.array(statisticDaySchema, { error: 'statistic_list as an array of days' }),
});
export type StatisticsResponse = z.infer<typeof statisticsResponseSchema>;

/**
 * The same test as statisticsResponseSchema, in one pass over the parsed body without copying it:
 * an answer that passes is used as it is; one that does not goes through the schema, whose message
 * names the field. (Statistics answers are the bulk of what a client decodes.)
 */
export function isStatisticsResponse(json: Record<string, unknown>): json is StatisticsResponse {
  const list = json.statistic_list;
  if (!Array.isArray(list)) return false;
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
    const { stat_time: statTime, statistic } = entry as { stat_time?: unknown; statistic?: unknown };
    if (!Number.isSafeInteger(statTime)) return false;
    if (statistic !== undefined && (typeof statistic !== 'object' || statistic === null || Array.isArray(statistic))) return false;
  }
  return true;
}

/** Schemas with a one-pass test of their own (readAnswer uses it first). */
export const FAST_CHECKS = new Map<z.ZodType, (json: Record<string, unknown>) => boolean>([
  [statisticsResponseSchema, isStatisticsResponse],
]);

export const kfAccountSchema = z.looseObject({
  open_kfid: z.string({ error: 'open_kfid as a string' }),
  name: z.string().optional(),
  avatar: z.string().optional(),
  manage_privilege: z.boolean().optional(),
});
export type KfAccount = z.infer<typeof kfAccountSchema>;
export const accountListResponseSchema = z.looseObject({
  account_list: z.array(kfAccountSchema, { error: 'account_list as an array of accounts' }),
});

export const servicerSchema = z.looseObject({
  userid: z.string().optional(),
  open_userid: z.string().optional(),
  department_id: z.number().optional(),
  status: z.number().optional(),
  stop_type: z.number().optional(),
});
export type Servicer = z.infer<typeof servicerSchema>;

/**
 * The id to ask statistics for: a self-built app sees `userid`, a third-party app the encrypted
 * `open_userid` (page 96420).
 */
export function servicerIdOf(servicer: Servicer): string | undefined {
  return servicer.userid ?? servicer.open_userid;
}
export const servicerListResponseSchema = z.looseObject({
  servicer_list: z.array(servicerSchema, { error: 'servicer_list as an array of servicers' }),
});

export const accessTokenResponseSchema = z.looseObject({
  access_token: z.string({ error: 'access_token as a string' }).min(1, { error: 'a non-empty access_token' }),
  expires_in: z.number().optional(),
});
/** service/get_permanent_code (page 90603): the corp's permanent code and who it is. */
export const permanentCodeResponseSchema = z.looseObject({
  permanent_code: z.string({ error: 'permanent_code as a string' }).min(1, { error: 'a non-empty permanent_code' }),
  auth_corp_info: z.looseObject(
    {
      corpid: z.string({ error: 'auth_corp_info.corpid as a string' }).min(1, { error: 'a non-empty corpid' }),
      corp_name: z.string().optional(),
    },
    { error: 'auth_corp_info as an object' },
  ),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
});
export const suiteTokenResponseSchema = z.looseObject({
  suite_access_token: z.string({ error: 'suite_access_token as a string' }).min(1),
  expires_in: z.number().optional(),
});
