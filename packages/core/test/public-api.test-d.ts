import { describe, expectTypeOf, it } from 'vitest';
import {
  createKfStatsClient,
  shapeDays,
  summarizeDays,
  type DEFAULTS,
  type ErrcodeCategory,
  type FILL_POLICIES,
  type FillPolicy,
  type IncompleteFetchError,
  type StatisticsSummary,
  type SummaryNote,
  type TimeoutError,
  type TransportError,
  type ValidationError,
  type WINDOW_POLICIES,
  type WindowPolicy,
  type AuthOptions,
  type KfStatsClient,
  type StatisticsDay,
  type StatisticsResult,
  type WecomApiError,
} from '../src/index.js';
import { createNodeClient, type NodeKfStatsClient } from '../src/node.js';

describe('public types', () => {
  it('infers a client from options', () => {
    expectTypeOf(createKfStatsClient).returns.toEqualTypeOf<KfStatsClient>();
    expectTypeOf(createNodeClient).returns.toEqualTypeOf<NodeKfStatsClient>();
    expectTypeOf<NodeKfStatsClient['close']>().returns.resolves.toBeVoid();
  });

  it('resolves statistics to days with nullable statistic', () => {
    expectTypeOf<KfStatsClient['getStatistics']>().returns.resolves.toEqualTypeOf<StatisticsResult>();
    expectTypeOf<StatisticsDay['statistic']>().toEqualTypeOf<Record<string, unknown> | null>();
    expectTypeOf<StatisticsDay['date']>().toBeString();
  });

  it('accepts each auth strategy and rejects unknown ones', () => {
    expectTypeOf<{ type: 'selfBuilt'; corpId: string; corpSecret: string }>().toExtend<AuthOptions>();
    expectTypeOf<{ type: 'token'; accessToken: () => Promise<string> }>().toExtend<AuthOptions>();
    expectTypeOf<{ type: 'oauth'; code: string }>().not.toExtend<AuthOptions>();
  });

  it('exposes errcode and a bilingual hint on API errors', () => {
    expectTypeOf<WecomApiError['errcode']>().toBeNumber();
    expectTypeOf<WecomApiError['hint']>().toEqualTypeOf<{ en: string; zh: string }>();
  });

  it('summarizes to nullable numbers', () => {
    expectTypeOf(summarizeDays).returns.toHaveProperty('metrics').toEqualTypeOf<Record<string, number | null>>();
  });
});

describe('the curated surface', () => {
  it('types errors as data', () => {
    expectTypeOf<IncompleteFetchError['partial']>().toEqualTypeOf<StatisticsResult>();
    expectTypeOf<ValidationError['field']>().toBeString();
    expectTypeOf<ValidationError['allowed']>().toBeString();
    expectTypeOf<ValidationError['format']>().parameter(0).toBeString();
    expectTypeOf<WecomApiError['category']>().toEqualTypeOf<ErrcodeCategory>();
    expectTypeOf<TimeoutError>().toExtend<TransportError>();
  });

  it('shapes days and summaries with plain data', () => {
    expectTypeOf(shapeDays).returns.toEqualTypeOf<StatisticsDay[]>();
    expectTypeOf<StatisticsSummary['notes']>().toEqualTypeOf<SummaryNote[]>();
    expectTypeOf<SummaryNote['kind']>().toEqualTypeOf<'approximate' | 'unweighted'>();
  });

  it('lists choices as literal tuples', () => {
    expectTypeOf<(typeof FILL_POLICIES)[number]>().toEqualTypeOf<FillPolicy>();
    expectTypeOf<(typeof WINDOW_POLICIES)[number]>().toEqualTypeOf<WindowPolicy>();
    expectTypeOf<(typeof DEFAULTS)['endpoint']>().toEqualTypeOf<'corp'>();
  });
});
