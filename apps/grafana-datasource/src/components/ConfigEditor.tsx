import type { ChangeEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Alert, InlineField, Input, RadioButtonGroup, SecretInput, Stack } from '@grafana/ui';
import { DEFAULTS, validateBaseUrl, ValidationError } from '@wecom-kf-stats/core';
import type { AuthMode, KfStatsOptions, KfStatsSecureJsonData, TokenServiceHeader } from '../types';

type Props = DataSourcePluginOptionsEditorProps<KfStatsOptions, KfStatsSecureJsonData>;

const AUTH_MODES: Array<{ label: string; value: AuthMode; description: string }> = [
  { label: 'Self-built app', value: 'selfBuilt', description: 'Corp ID + app Secret; Grafana calls gettoken' },
  { label: 'Token service', value: 'tokenService', description: 'Your own service hands out the access_token' },
];
const TOKEN_HEADERS: Array<{ label: string; value: TokenServiceHeader }> = [
  { label: 'X-Token-Service-Key', value: 'X-Token-Service-Key' },
  { label: 'Authorization', value: 'Authorization' },
];

const LABEL_WIDTH = 22;

/** Core's own rule for a base URL; the message names what is allowed. */
function baseUrlProblem(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    validateBaseUrl(value, 'API base URL');
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
}

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const jsonData = options.jsonData ?? {};
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = (options.secureJsonData ?? {}) as KfStatsSecureJsonData;
  const authMode: AuthMode = jsonData.authMode ?? 'selfBuilt';

  const setJson = (patch: Partial<KfStatsOptions>) => onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });
  const setSecret = (key: keyof KfStatsSecureJsonData, value: string) =>
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, [key]: value } });
  const resetSecret = (key: keyof KfStatsSecureJsonData) =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, [key]: false },
      secureJsonData: { ...secureJsonData, [key]: '' },
    });
  const text = (key: 'corpId' | 'apiBaseUrl' | 'tokenServiceUrl') => (event: ChangeEvent<HTMLInputElement>) =>
    setJson({ [key]: event.target.value });
  // On leaving a field: no spaces, and no trailing slash (it would double the one the routes add).
  const tidy = (key: 'corpId' | 'apiBaseUrl' | 'tokenServiceUrl') => () => {
    const value = jsonData[key];
    const trimmed = value?.trim();
    const tidied = key === 'corpId' ? trimmed : trimmed?.replace(/\/+$/, '');
    if (tidied !== value) setJson({ [key]: tidied });
  };
  const baseUrlError = baseUrlProblem(jsonData.apiBaseUrl);
  const tokenServiceUrlError = authMode === 'tokenService' ? baseUrlProblem(jsonData.tokenServiceUrl) : undefined;

  return (
    <Stack direction="column" gap={1}>
      <Alert severity="warning" title="The access_token passes through the browser">
        Secrets (the app Secret, the token service secret) stay encrypted on the Grafana server: Grafana&apos;s data proxy adds them to the
        token call. The short-lived access_token that comes back (valid up to 2 hours) does reach the browser of everyone who views these
        panels, because this plugin has no backend. WeCom advises against handing access tokens to browsers
        (developer.work.weixin.qq.com/document/path/91039): use an app that may only read customer-service statistics, and limit who can
        query this data source.
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
          <SecretInput
            id="config-corp-secret"
            width={40}
            isConfigured={Boolean(secureJsonFields.corpSecret)}
            value={secureJsonData.corpSecret ?? ''}
            placeholder="App Secret"
            onChange={(event: ChangeEvent<HTMLInputElement>) => setSecret('corpSecret', event.target.value)}
            onReset={() => resetSecret('corpSecret')}
          />
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
            <SecretInput
              id="config-token-service-secret"
              width={40}
              isConfigured={Boolean(secureJsonFields.tokenServiceSecret)}
              value={secureJsonData.tokenServiceSecret ?? ''}
              placeholder="Token service secret"
              onChange={(event: ChangeEvent<HTMLInputElement>) => setSecret('tokenServiceSecret', event.target.value)}
              onReset={() => resetSecret('tokenServiceSecret')}
            />
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
    </Stack>
  );
}
