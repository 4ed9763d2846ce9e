import { useEffect, useState, type ChangeEvent, type JSX } from 'react';
import type { DataSourcePluginOptionsEditorProps, SelectableValue } from '@grafana/data';
import { Alert, Button, InlineField, Input, RadioButtonGroup, SecretInput, Select, Stack } from '@grafana/ui';
import { DEFAULTS, validateBaseUrl, ValidationError } from '@wecom-kf-stats/core';
import { describeError } from '../messages';
import { createServerClient, type ServerSource } from '../server-client';
import {
  connectionOf,
  type AuthMode,
  type ConnectionMode,
  type KfStatsOptions,
  type KfStatsSecureJsonData,
  type TokenServiceHeader,
} from '../types';

type Props = DataSourcePluginOptionsEditorProps<KfStatsOptions, KfStatsSecureJsonData>;

const AUTH_MODES: Array<{ label: string; value: AuthMode; description: string }> = [
  { label: 'Self-built app', value: 'selfBuilt', description: 'Corp ID + app Secret; Grafana calls gettoken' },
  { label: 'Token service', value: 'tokenService', description: 'Your own service hands out the access_token' },
];
const TOKEN_HEADERS: Array<{ label: string; value: TokenServiceHeader }> = [
  { label: 'X-Token-Service-Key', value: 'X-Token-Service-Key' },
  { label: 'Authorization', value: 'Authorization' },
];

const CONNECTIONS: Array<{ label: string; value: ConnectionMode; description: string }> = [
  {
    label: 'Through the server (recommended)',
    value: 'server',
    description: 'The wecom-kf-stats server calls WeCom; the browser never receives a WeCom token',
  },
  { label: 'Direct to WeCom', value: 'direct', description: "Grafana's data proxy calls WeCom; the access_token reaches the browser" },
];

const LABEL_WIDTH = 22;

/** Core's own rule for a base URL; the message names what is allowed. */
function baseUrlProblem(value: string | undefined, field = 'API base URL'): string | undefined {
  if (!value) return undefined;
  try {
    validateBaseUrl(value, field);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
}

type SecretKey = keyof KfStatsSecureJsonData;

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const jsonData = options.jsonData ?? {};
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = (options.secureJsonData ?? {}) as KfStatsSecureJsonData;
  const connection = connectionOf(jsonData);
  const authMode: AuthMode = jsonData.authMode ?? 'selfBuilt';

  // Saved settings say their mode: a data source of version 0.1 stays direct, a new one starts in server mode.
  useEffect(() => {
    if (!options.jsonData?.connection) onOptionsChange({ ...options, jsonData: { ...jsonData, connection } });
    // Once, on opening the page.
  }, []);

  const setJson = (patch: Partial<KfStatsOptions>) => onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });
  const setSecret = (key: keyof KfStatsSecureJsonData, value: string) =>
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, [key]: value } });
  const resetSecret = (key: keyof KfStatsSecureJsonData) =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, [key]: false },
      secureJsonData: { ...secureJsonData, [key]: '' },
    });
  /** A secret of secureJsonData: shown as configured once saved, replaced by typing, cleared by Reset. */
  const secretInput = (key: SecretKey, id: string, placeholder: string) => (
    <SecretInput
      id={id}
      width={40}
      isConfigured={Boolean(secureJsonFields[key])}
      value={secureJsonData[key] ?? ''}
      placeholder={placeholder}
      onChange={(event: ChangeEvent<HTMLInputElement>) => setSecret(key, event.target.value)}
      onReset={() => resetSecret(key)}
    />
  );
  type TextKey = 'corpId' | 'apiBaseUrl' | 'tokenServiceUrl' | 'serverUrl' | 'source' | 'serverCorpId';
  const text = (key: TextKey) => (event: ChangeEvent<HTMLInputElement>) => setJson({ [key]: event.target.value });
  // On leaving a field: no spaces, and no trailing slash on URLs (it would double the one the routes add).
  const tidy = (key: TextKey) => () => {
    const value = jsonData[key];
    const trimmed = value?.trim();
    const tidied = key === 'apiBaseUrl' || key === 'tokenServiceUrl' || key === 'serverUrl' ? trimmed?.replace(/\/+$/, '') : trimmed;
    if (tidied !== value) setJson({ [key]: tidied });
  };
  // A mode's secrets go when the other mode is chosen: the routes of the mode left behind must find nothing to send.
  const switchConnection = (next: ConnectionMode) => {
    const drop: Array<keyof KfStatsSecureJsonData> = next === 'server' ? ['corpSecret', 'tokenServiceSecret'] : ['serverApiKey'];
    const fields = { ...secureJsonFields };
    const secrets = { ...secureJsonData };
    for (const key of drop) {
      if (fields[key] || secrets[key]) {
        fields[key] = false;
        secrets[key] = '';
      }
    }
    onOptionsChange({ ...options, jsonData: { ...jsonData, connection: next }, secureJsonFields: fields, secureJsonData: secrets });
  };
  const baseUrlError = baseUrlProblem(jsonData.apiBaseUrl);
  const tokenServiceUrlError = authMode === 'tokenService' ? baseUrlProblem(jsonData.tokenServiceUrl) : undefined;

  // Direct mode's fields (a render function, not a component: the inputs keep their focus).
  const directSettings = () => (
    <>
      <Alert severity="warning" title="The access_token passes through the browser">
        Secrets (the app Secret, the token service secret) stay encrypted on the Grafana server: Grafana&apos;s data proxy adds them to the
        token call. The short-lived access_token that comes back (valid up to 2 hours) does reach the browser of everyone who views these
        panels, because this plugin has no backend: any viewer can read it in the browser&apos;s developer tools, and until it expires it
        works for any WeCom API the app may call from an address on the app&apos;s trusted IP list (the Grafana server&apos;s, for one).
        Through this data source a viewer can call only the six WeCom paths the plugin needs (gettoken, the three statistics, the account
        and servicer lists), each with its one method; other customer-service APIs (sending or reading messages, deleting accounts) are
        refused by Grafana. WeCom advises against handing access tokens to browsers (developer.work.weixin.qq.com/document/path/91039).
        Server mode is safer: the browser then receives statistics only. In direct mode, use an app that may only read customer-service
        statistics, and limit who can query this data source.
      </Alert>

      <InlineField label="Authentication" labelWidth={LABEL_WIDTH}>
        <RadioButtonGroup<AuthMode> options={AUTH_MODES} value={authMode} onChange={(value) => setJson({ authMode: value })} />
      </InlineField>

      <InlineField
        label="Corp ID"
        labelWidth={LABEL_WIDTH}
        tooltip={
          authMode === 'selfBuilt' ? 'corpid, starts with "ww" (我的企业 → 企业信息)' : 'Sent to the token service as ?corpid= (optional)'
        }
        required={authMode === 'selfBuilt'}
      >
        <Input
          id="config-corp-id"
          width={40}
          value={jsonData.corpId ?? ''}
          placeholder="ww..."
          onChange={text('corpId')}
          onBlur={tidy('corpId')}
        />
      </InlineField>

      {authMode === 'selfBuilt' ? (
        <InlineField label="Secret" labelWidth={LABEL_WIDTH} tooltip="The self-built app's Secret (stored encrypted)" required>
          {secretInput('corpSecret', 'config-corp-secret', 'App Secret')}
        </InlineField>
      ) : (
        <>
          <InlineField
            label="Token service URL"
            labelWidth={LABEL_WIDTH}
            tooltip="GET answering {access_token, expires_in}; Grafana adds ?corpid= and the secret header"
            invalid={Boolean(tokenServiceUrlError)}
            error={tokenServiceUrlError}
            required
          >
            <Input
              id="config-token-service-url"
              width={40}
              value={jsonData.tokenServiceUrl ?? ''}
              placeholder="https://tokens.example.com/wecom/token"
              onChange={text('tokenServiceUrl')}
              onBlur={tidy('tokenServiceUrl')}
            />
          </InlineField>
          <InlineField label="Secret header" labelWidth={LABEL_WIDTH}>
            <RadioButtonGroup<TokenServiceHeader>
              options={TOKEN_HEADERS}
              value={jsonData.tokenServiceHeader ?? 'X-Token-Service-Key'}
              onChange={(value) => setJson({ tokenServiceHeader: value })}
            />
          </InlineField>
          <InlineField label="Header value" labelWidth={LABEL_WIDTH} tooltip='Stored encrypted; e.g. "Bearer …" for Authorization' required>
            {secretInput('tokenServiceSecret', 'config-token-service-secret', 'Token service secret')}
          </InlineField>
        </>
      )}

      <InlineField
        label="API base URL"
        labelWidth={LABEL_WIDTH}
        tooltip={`Leave empty for ${DEFAULTS.baseUrl}; point it at a test server or an egress proxy`}
        invalid={Boolean(baseUrlError)}
        error={baseUrlError}
      >
        <Input
          id="config-api-base-url"
          width={40}
          value={jsonData.apiBaseUrl ?? ''}
          placeholder={DEFAULTS.baseUrl}
          onChange={text('apiBaseUrl')}
          onBlur={tidy('apiBaseUrl')}
        />
      </InlineField>
    </>
  );

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Connection" labelWidth={LABEL_WIDTH}>
        <RadioButtonGroup<ConnectionMode> options={CONNECTIONS} value={connection} onChange={switchConnection} />
      </InlineField>
      {connection === 'server' ? (
        <ServerSettings options={options} setJson={setJson} secretInput={secretInput} text={text} tidy={tidy} />
      ) : (
        directSettings()
      )}
    </Stack>
  );
}

interface ServerSettingsProps {
  options: Props['options'];
  setJson: (patch: Partial<KfStatsOptions>) => void;
  secretInput: (key: SecretKey, id: string, placeholder: string) => JSX.Element;
  text: (key: 'serverUrl' | 'source' | 'serverCorpId') => (event: ChangeEvent<HTMLInputElement>) => void;
  tidy: (key: 'serverUrl' | 'source' | 'serverCorpId') => () => void;
}

/** Server mode: the server's URL, its API key (secureJsonData) and the source to show. */
function ServerSettings({ options, setJson, secretInput, text, tidy }: ServerSettingsProps) {
  const jsonData = options.jsonData ?? {};
  const secureJsonFields = options.secureJsonFields ?? {};
  const [sources, setSources] = useState<ServerSource[] | undefined>();
  const [sourcesError, setSourcesError] = useState<string | undefined>();
  const serverUrlError = jsonData.serverUrl ? baseUrlProblem(jsonData.serverUrl, 'Server URL') : undefined;
  const picked = sources?.find((s) => s.id === jsonData.source);
  const sourceError =
    sources && jsonData.source && !picked
      ? `Source "${jsonData.source}" is not configured on the server; allowed: ${sources.map((s) => s.id).join(', ') || 'none'}`
      : undefined;
  const corpError =
    picked && picked.corps.length > 1 && jsonData.serverCorpId && !picked.corps.includes(jsonData.serverCorpId)
      ? `Corp ID "${jsonData.serverCorpId}" is not a corp of source "${picked.id}"; allowed: ${picked.corps.join(', ')}`
      : undefined;

  // The sources list comes through Grafana's data proxy, with the saved URL and key: it loads once they are saved.
  const loadSources = () => {
    if (!options.uid) return;
    setSourcesError(undefined);
    createServerClient(`/api/datasources/proxy/uid/${options.uid}`, jsonData)
      .listSources()
      .then(setSources)
      .catch((error) =>
        setSourcesError(
          `Could not list the server's sources (save the URL and key first: the list comes with the saved settings). ${describeError(error)}`,
        ),
      );
  };
  useEffect(() => {
    if (jsonData.serverUrl && secureJsonFields.serverApiKey) loadSources();
    // On opening the page with saved settings.
  }, []);

  const sourceOptions: Array<SelectableValue<string>> = (sources ?? []).map((s) => ({
    label: s.id,
    value: s.id,
    description: `${s.type}: ${s.collect.join(', ')} statistics; corp${s.corps.length > 1 ? 's' : ''} ${s.corps.join(', ')}`,
  }));
  if (jsonData.source && !sourceOptions.some((o) => o.value === jsonData.source))
    sourceOptions.push({ label: jsonData.source, value: jsonData.source });

  return (
    <>
      <Alert severity="info" title="The browser receives statistics only">
        Grafana&apos;s data proxy adds the server&apos;s API key on the Grafana server; the wecom-kf-stats server calls WeCom with the app
        secrets it keeps, and archives every day it collects. A viewer of these panels sees the statistics, the account and servicer lists
        of the source, and the server&apos;s URL; never a WeCom secret or access_token, and never the API key. Ranges reach as far back as
        the server&apos;s archive. Give Grafana an ordinary read key of the server (one of its apiKeysEnv keys), never a key allowed to
        fetch tokens.
      </Alert>
      <InlineField
        label="Server URL"
        labelWidth={LABEL_WIDTH}
        tooltip="The wecom-kf-stats server as the Grafana server reaches it, e.g. http://127.0.0.1:8787"
        invalid={Boolean(serverUrlError)}
        error={serverUrlError}
        required
      >
        <Input
          id="config-server-url"
          width={40}
          value={jsonData.serverUrl ?? ''}
          placeholder="http://127.0.0.1:8787"
          onChange={text('serverUrl')}
          onBlur={tidy('serverUrl')}
        />
      </InlineField>
      <InlineField label="API key" labelWidth={LABEL_WIDTH} tooltip="An ordinary read key of the server (stored encrypted)" required>
        {secretInput('serverApiKey', 'config-server-api-key', 'Server API key')}
      </InlineField>
      <Stack direction="row" gap={1}>
        <InlineField
          label="Source"
          labelWidth={LABEL_WIDTH}
          tooltip="The source id of the server's config whose statistics this data source shows"
          invalid={Boolean(sourceError)}
          error={sourceError}
          required
        >
          <Select<string>
            inputId="config-source"
            aria-label="Source"
            width={40}
            allowCustomValue
            placeholder="Pick or type a source id"
            options={sourceOptions}
            value={jsonData.source ?? null}
            onChange={(v) => setJson({ source: v?.value?.trim() || undefined })}
          />
        </InlineField>
        <Button variant="secondary" icon="sync" onClick={loadSources} disabled={!options.uid}>
          Load sources
        </Button>
      </Stack>
      {(picked?.corps.length ?? 0) > 1 || jsonData.serverCorpId ? (
        <InlineField
          label="Corp ID"
          labelWidth={LABEL_WIDTH}
          tooltip="A service provider's source serves several corps: the authorized corp to show"
          invalid={Boolean(corpError)}
          error={corpError}
        >
          <Input
            id="config-server-corp-id"
            width={40}
            value={jsonData.serverCorpId ?? ''}
            placeholder="ww..."
            onChange={text('serverCorpId')}
            onBlur={tidy('serverCorpId')}
          />
        </InlineField>
      ) : null}
      {sourcesError && (
        <Alert severity="error" title="Sources" onRemove={() => setSourcesError(undefined)}>
          {sourcesError}
        </Alert>
      )}
    </>
  );
}
