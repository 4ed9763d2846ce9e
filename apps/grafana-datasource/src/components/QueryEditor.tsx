import { useEffect, useMemo, useState } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { Alert, InlineField, MultiSelect, RadioButtonGroup, Select, Stack } from '@grafana/ui';
import { metricsFor, FILL_POLICIES, type FillPolicy, type StatisticsEndpoint } from '@wecom-kf-stats/core';
import { servicerIdOf } from '@wecom-kf-stats/core';
import type { DataSource } from '../datasource';
import { describeError } from '../messages';
import {
  DEFAULT_QUERY,
  type KfStatsOptions,
  type KfStatsQuery,
  type LabelLanguage,
  type QueryAggregation,
  type QueryFormat,
} from '../types';

type Props = QueryEditorProps<DataSource, KfStatsQuery, KfStatsOptions>;

const ENDPOINTS: Array<SelectableValue<StatisticsEndpoint>> = [
  { label: 'Corp', value: 'corp', description: 'Per account, sessions and the bot (no reply rate or satisfaction): kf/get_corp_statistic' },
  {
    label: 'Servicer',
    value: 'servicer',
    description:
      'Human service (reply rate, first reply, satisfaction) of one servicer, or of the whole account without one: kf/get_servicer_statistic',
  },
  { label: 'Component', value: 'component', description: 'Service provider component: kf/get_statistic' },
];
const FORMATS: Array<SelectableValue<QueryFormat>> = [
  { label: 'Time series', value: 'time_series' },
  { label: 'Table', value: 'table' },
];
const AGGREGATIONS: Array<SelectableValue<QueryAggregation>> = [
  { label: 'Daily', value: 'daily', description: 'One row per China day' },
  { label: 'Range total', value: 'total', description: 'Counts summed, rates weighted over the range' },
];
const FILL_LABELS: Record<FillPolicy, SelectableValue<FillPolicy>> = {
  null: { label: 'Keep empty', value: 'null', description: 'Days without data stay null' },
  zero: { label: 'Zero counts', value: 'zero', description: 'Counts of days without data become 0 (rates stay null)' },
  omit: { label: 'Skip days', value: 'omit', description: 'Days without data are left out' },
};
const LANGUAGES: Array<SelectableValue<LabelLanguage>> = [
  { label: 'English', value: 'en' },
  { label: '中文', value: 'zh' },
];

const LABEL_WIDTH = 14;

function variableOptions(): Array<SelectableValue<string>> {
  return getTemplateSrv()
    .getVariables()
    .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'Dashboard variable' }));
}

/** Keep a typed or stored value visible even when it is not in the loaded list. */
function withCurrent(options: Array<SelectableValue<string>>, current: string | undefined): Array<SelectableValue<string>> {
  if (!current || options.some((o) => o.value === current)) return options;
  return [...options, { label: current, value: current }];
}

export function QueryEditor({ datasource, query, onChange, onRunQuery }: Props) {
  const q: KfStatsQuery = { ...DEFAULT_QUERY, ...query };
  const [accounts, setAccounts] = useState<Array<SelectableValue<string>>>([]);
  const [servicers, setServicers] = useState<Array<SelectableValue<string>>>([]);
  const [loadError, setLoadError] = useState<string | undefined>();
  const needsAccount = q.endpoint !== 'component';

  useEffect(() => {
    if (!needsAccount) return;
    let live = true;
    datasource
      .listAccounts()
      .then(
        (list) => live && setAccounts(list.map((a) => ({ label: a.name || a.open_kfid, value: a.open_kfid, description: a.open_kfid }))),
      )
      .catch((error) => live && setLoadError(`Could not load accounts. ${describeError(error)}`));
    return () => {
      live = false;
    };
  }, [datasource, needsAccount]);

  useEffect(() => {
    if (q.endpoint !== 'servicer' || !q.openKfid) {
      setServicers([]);
      return;
    }
    let live = true;
    datasource
      .listServicers(q.openKfid)
      .then(
        (list) =>
          live &&
          setServicers(
            list.flatMap((s) => {
              const id = servicerIdOf(s);
              return id ? [{ label: id, value: id }] : [];
            }),
          ),
      )
      .catch((error) => live && setLoadError(`Could not load servicers. ${describeError(error)}`));
    return () => {
      live = false;
    };
  }, [datasource, q.endpoint, q.openKfid]);

  const metricOptions = useMemo<Array<SelectableValue<string>>>(
    () => [
      ...metricsFor(q.endpoint).map((m) => ({
        label: `${m.label.zh} · ${m.label.en}`,
        value: m.key,
        description: `${m.key} (${m.unit}) — ${m.description[q.language === 'zh' ? 'zh' : 'en']}`,
      })),
      ...variableOptions(),
    ],
    [q.endpoint, q.language],
  );

  const change = (patch: Partial<KfStatsQuery>) => {
    onChange({ ...q, ...patch });
    onRunQuery();
  };

  const changeEndpoint = (endpoint: StatisticsEndpoint) => {
    // Metrics that the new endpoint does not have are dropped; variables stay.
    const known = new Set(metricsFor(endpoint).map((m) => m.key));
    const metrics = q.metrics.filter((m) => known.has(m) || m.includes('$'));
    change({
      endpoint,
      metrics,
      openKfid: endpoint === 'component' ? undefined : q.openKfid,
      servicerUserid: endpoint === 'servicer' ? q.servicerUserid : undefined,
    });
  };

  return (
    <Stack direction="column" gap={0}>
      <InlineField label="Endpoint" labelWidth={LABEL_WIDTH}>
        <RadioButtonGroup<StatisticsEndpoint> options={ENDPOINTS} value={q.endpoint} onChange={changeEndpoint} />
      </InlineField>
      {needsAccount && (
        <InlineField label="Account" labelWidth={LABEL_WIDTH} tooltip="Customer-service account (open_kfid); a variable may hold several">
          <Select<string>
            inputId="query-editor-account"
            aria-label="Account"
            width={40}
            allowCustomValue
            placeholder="Pick an account or type $variable"
            options={withCurrent([...accounts, ...variableOptions()], q.openKfid)}
            value={q.openKfid ?? null}
            onChange={(v) => change({ openKfid: v?.value, servicerUserid: undefined })}
          />
        </InlineField>
      )}
      {q.endpoint === 'servicer' && (
        <InlineField
          label="Servicer"
          labelWidth={LABEL_WIDTH}
          tooltip="Empty: all servicers of the account together, the account's human service"
        >
          <Select<string>
            inputId="query-editor-servicer"
            aria-label="Servicer"
            width={40}
            allowCustomValue
            isClearable
            placeholder="All servicers"
            options={withCurrent([...servicers, ...variableOptions()], q.servicerUserid)}
            value={q.servicerUserid ?? null}
            onChange={(v) => change({ servicerUserid: v?.value || undefined })}
          />
        </InlineField>
      )}
      <InlineField label="Metrics" labelWidth={LABEL_WIDTH} tooltip="Empty: every metric of the endpoint">
        <MultiSelect<string>
          inputId="query-editor-metrics"
          aria-label="Metrics"
          width={60}
          allowCustomValue
          placeholder="All metrics"
          options={metricOptions}
          value={q.metrics}
          onChange={(values) => change({ metrics: values.map((v) => v.value!).filter(Boolean) })}
        />
      </InlineField>
      <Stack gap={1} wrap="wrap">
        <InlineField label="Format" labelWidth={LABEL_WIDTH}>
          <RadioButtonGroup<QueryFormat> options={FORMATS} value={q.format} onChange={(format) => change({ format })} />
        </InlineField>
        <InlineField label="Rows">
          <RadioButtonGroup<QueryAggregation>
            options={AGGREGATIONS}
            value={q.aggregation}
            onChange={(aggregation) => change({ aggregation })}
          />
        </InlineField>
        <InlineField label="No-data days">
          <RadioButtonGroup<FillPolicy>
            options={FILL_POLICIES.map((p) => FILL_LABELS[p])}
            value={q.fillPolicy}
            onChange={(fillPolicy) => change({ fillPolicy })}
          />
        </InlineField>
        <InlineField label="Labels">
          <RadioButtonGroup<LabelLanguage> options={LANGUAGES} value={q.language} onChange={(language) => change({ language })} />
        </InlineField>
      </Stack>
      {loadError && (
        <Alert
          severity="error"
          title={datasource.connection === 'server' ? 'wecom-kf-stats server' : 'WeCom'}
          onRemove={() => setLoadError(undefined)}
        >
          {loadError}
        </Alert>
      )}
    </Stack>
  );
}
