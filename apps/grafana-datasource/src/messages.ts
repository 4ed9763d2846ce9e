/**
 * What a panel or the health check says when something fails: core's message (already redacted,
 * with WeCom's hint in English and Chinese), plus what to change in this data source's settings.
 */
import {
  HttpStatusError,
  IncompleteFetchError,
  isWecomStatsError,
  redactText,
  WecomApiError,
  type ErrcodeCategory,
} from '@wecom-kf-stats/core';

/** Setting-specific advice for the kinds of WeCom failure whose fix lives on the data source page. */
const SETTINGS_ADVICE: Partial<Record<ErrcodeCategory, string>> = {
  credentials: "Check the Corp ID and enter the app Secret again in this data source's settings.",
  ip_not_trusted:
    "WeCom sees the Grafana server's address (the data proxy calls WeCom from the server, not the browser): add that IP to the app's trusted IPs (企业可信IP).",
  permission:
    "Self-built app: add it under 微信客服 → 可调用接口的应用. Component statistics need a service provider's token (use a token service that hands one out).",
};

export function settingsAdvice(error: unknown): string | undefined {
  if (error instanceof IncompleteFetchError) return settingsAdvice(error.cause);
  if (error instanceof WecomApiError) return SETTINGS_ADVICE[error.category];
  if (error instanceof HttpStatusError) {
    if (error.path.startsWith('/token-service')) {
      // Grafana's data proxy answers 400 "Authentication to data source failed" for an upstream 401.
      if (error.status === 400 || error.status === 401 || error.status === 403)
        return 'The token service refused the secret header: check the token service secret and header name.';
      if (error.status === 404) return 'Check the token service URL.';
    }
    if (error.status === 502 || error.status === 504) {
      return "Grafana's data proxy could not reach the server: check the API base URL (or the token service URL) and that the Grafana server can reach it.";
    }
    if (error.status === 404) return 'The data proxy found no route: restart Grafana after installing or upgrading the plugin.';
  }
  return undefined;
}

/** One line for people: what failed, and what to do. Never contains a secret or token. */
export function describeError(error: unknown): string {
  const base = isWecomStatsError(error) ? error.message : redactText(error instanceof Error ? error.message : String(error));
  const advice = settingsAdvice(error);
  return advice ? `${base} ${advice}` : base;
}
