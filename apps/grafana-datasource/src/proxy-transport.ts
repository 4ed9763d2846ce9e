/**
 * The network edge of the plugin: core's transport over Grafana's `backendSrv`, through the data
 * proxy. Core builds URLs under PROXY_ORIGIN; this transport turns them into data proxy paths of
 * this data source, where plugin.json routes add the corp secret or the token service secret on
 * the Grafana server. Nothing leaves the browser except towards Grafana.
 */
import { getBackendSrv, type BackendSrvRequest, type FetchError, type FetchResponse } from '@grafana/runtime';
import { AbortedError, TimeoutError, TransportError, type Transport } from '@wecom-kf-stats/core';

/** Placeholder origin given to core as its base URL (`.invalid` never resolves: RFC 2606). */
export const PROXY_ORIGIN = 'https://grafana-data-proxy.invalid';

/** An error of Grafana's fetch (it carries the HTTP status). */
export function isFetchError(error: unknown): error is FetchError {
  return typeof error === 'object' && error !== null && typeof (error as FetchError).status === 'number';
}

/** A fetch answer's body as text, whatever Grafana parsed it into. */
export function bodyText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data === undefined || data === null) return '';
  return JSON.stringify(data);
}

/** `proxyUrl` is the data source's `instanceSettings.url` (`/api/datasources/proxy/uid/<uid>`). */
export function createDataProxyTransport(proxyUrl: string): Transport {
  const base = proxyUrl.replace(/\/+$/, '');
  return (request) =>
    new Promise((resolve, reject) => {
      if (!request.url.startsWith(`${PROXY_ORIGIN}/`)) {
        reject(new TransportError(request.label, 'only paths of the data proxy are allowed'));
        return;
      }
      if (request.signal?.aborted) {
        reject(new AbortedError(request.signal.reason));
        return;
      }
      const options: BackendSrvRequest = {
        url: `${base}${request.url.slice(PROXY_ORIGIN.length)}`,
        method: request.method,
        headers: request.headers,
        responseType: 'text',
        showErrorAlert: false,
        showSuccessAlert: false,
        // The URL carries the short-lived access_token: keep it out of the query inspector.
        hideFromInspector: true,
      };
      if (request.body !== undefined) options.data = request.body;
      const settle = () => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        settle();
        subscription.unsubscribe();
        reject(new AbortedError(request.signal?.reason));
      };
      const timer = setTimeout(() => {
        settle();
        subscription.unsubscribe();
        reject(new TimeoutError(request.label, request.timeoutMs));
      }, request.timeoutMs);
      const subscription = getBackendSrv()
        .fetch<string>(options)
        .subscribe({
          next: (response: FetchResponse<string>) => {
            settle();
            resolve({ status: response.status, body: bodyText(response.data) });
          },
          error: (error: unknown) => {
            settle();
            // The data proxy answered with a status (502 when WeCom is unreachable, 401 from a token service…).
            if (isFetchError(error) && error.status > 0) resolve({ status: error.status, body: bodyText(error.data) });
            else reject(new TransportError(request.label, error instanceof Error ? error.message : 'the request to Grafana failed'));
          },
        });
      request.signal?.addEventListener('abort', onAbort, { once: true });
    });
}
