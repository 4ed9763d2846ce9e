/** The statistics node's pure parts, from their sources: what it asks core for, and how failures read. */
import { describe, expect, it } from 'vitest';
import { ValidationError, WecomApiError } from '@wecom-kf-stats/core';
import { failureDetail, failureStatus } from '../src/lib/failure.js';
import { attributeToMsg, planStatistics } from '../src/lib/statistics-request.js';

describe('planning a request', () => {
  it("takes core's defaults when neither the node nor the msg says otherwise", () => {
    const plan = planStatistics({}, {});
    expect(plan.query).toEqual({ endpoint: 'corp', last: 1, windowPolicy: 'clamp' });
    expect(plan.fillPolicy).toBe('null');
    expect(plan.metrics).toBeUndefined();
  });

  it('lets msg properties win over the node, and remembers where each came from', () => {
    const plan = planStatistics(
      { endpoint: 'corp', openKfid: 'wkNODE', last: '7' },
      { openKfid: 'wkMSG', from: '2026-11-01', to: '2026-11-03' },
    );
    expect(plan.query).toMatchObject({ endpoint: 'corp', openKfid: 'wkMSG', from: '2026-11-01', to: '2026-11-03' });
    expect(plan.sources).toMatchObject({ openKfid: 'msg.openKfid', from: 'msg.from', to: 'msg.to', last: 'msg.last' });
  });
});

describe('errors about msg values', () => {
  it('are told about the msg property, by core’s relabelling', () => {
    const relabelled = attributeToMsg(new ValidationError('from', '2026-02-30', 'YYYY-MM-DD', 'no such calendar date'), {
      from: 'msg.from',
    });
    expect((relabelled as ValidationError).message).toBe('Invalid msg.from: "2026-02-30" (no such calendar date). Allowed: YYYY-MM-DD.');
    expect(failureStatus(relabelled)).toBe('invalid msg.from');
  });

  it('leave errors about the node’s own settings as they are', () => {
    const error = new ValidationError('from', 'x', 'YYYY-MM-DD');
    expect(attributeToMsg(error, {})).toBe(error);
  });

  it('show the errcode for WeCom failures, with the hint on the msg', () => {
    const error = new WecomApiError('/cgi-bin/kf/get_corp_statistic', 48002, 'api forbidden');
    expect(failureStatus(error)).toBe('errcode 48002');
    expect(failureDetail(error)).toMatchObject({ code: 'WECOM_API', errcode: 48002, hint: error.hint });
  });
});
