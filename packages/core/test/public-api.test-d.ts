import { describe, expectTypeOf, it } from 'vitest';
import {
  createKfStatsClient,
  summarizeDays,
  type AuthOptions,
  type KfStatsClient,
  type StatisticsDay,
  type StatisticsResult,
  type WecomApiError,
} from '../src/internal.js';
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
