import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { parseConfig, type ServerConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { resolveCredentials, resolveProviders, resolveWebhooks } from '../src/config.js';
import type { Store } from '../src/store/store.js';
import { wireServer, type Wiring, type WiringOptions } from '../src/wiring.js';
import type { ApiOptions } from '../src/api.js';
import { Writable } from 'node:stream';

/** A JSON value under test (an API answer, a config being broken): read freely, pinned by assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const CANARY_SECRET = 'canary-secret-7f3a9c51e2';

let root: string | undefined;
// Registered when a test file imports this module: it runs after the file's own afterAll hooks.
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/** A fresh directory, removed with the others when the test file ends (embedded stores are tens of MB). */
export function tempDir(prefix = 'kf-'): string {
  root ??= mkdtempSync(join(tmpdir(), 'kf-server-test-'));
  return mkdtempSync(join(root, prefix));
}

export { simulatorConfigJson, simulatorEnv } from '@wecom-kf-stats/test-utils/server';

export function writeConfig(dir: string, json: unknown): string {
  const file = join(dir, 'kf-stats.config.json');
  writeFileSync(file, JSON.stringify(json, null, 2));
  return file;
}

/** A writable that keeps what was written (logs under test). */
export function captureStream(): Writable & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text(): string };
  stream.text = () => chunks.join('');
  return stream;
}

export interface Runtime {
  config: ServerConfig;
  clients: Wiring['clients'];
  tokens: Wiring['tokens'];
  metrics: Wiring['metrics'];
  providers: Wiring['providers'];
  authEvents: Wiring['authEvents'];
  notifier: Wiring['notifier'];
  logs: ReturnType<typeof captureStream>;
  logger: ReturnType<typeof createLogger>;
  owner: string;
  close(): Promise<void>;
}

/** The server's parts wired as `serve` wires them, in this process. */
export function createRuntime(
  configJson: Record<string, unknown>,
  env: Record<string, string>,
  store: Store,
  now: () => number,
  owner = 'test-owner',
  pacerSleep?: (ms: number, signal?: AbortSignal) => Promise<void>,
  extra: { robot?: WiringOptions['robot'] } = {},
): Runtime {
  const config = parseConfig(configJson);
  const logs = captureStream();
  const logger = createLogger('info', logs);
  const { clients, tokens, metrics, providers, authEvents, notifier } = wireServer({
    config,
    credentials: resolveCredentials(config, env),
    providers: resolveProviders(config, env),
    store,
    owner,
    now,
    logger,
    ...(pacerSleep ? { pacerSleep } : {}),
    retry: { baseDelayMs: 5, maxDelayMs: 20, rateLimitDelayMs: 10 },
    webhooks: resolveWebhooks(config, env),
    ...(extra.robot ? { robot: extra.robot } : {}),
  });
  return {
    config,
    clients,
    tokens,
    metrics,
    providers,
    authEvents,
    notifier,
    logs,
    logger,
    owner,
    async close() {
      await authEvents.idle();
      await notifier.idle();
      await clients.close();
    },
  };
}

/** `buildApi`'s options for a runtime of `createRuntime`, wired as `serve` wires them. */
export function apiOptions(
  runtime: Runtime,
  store: Store,
  now: () => number,
  keys: { apiKeys: string[]; tokenApiKeys?: string[]; adminKeys?: string[] },
): ApiOptions {
  const { config, clients, metrics, providers, tokens, logger, authEvents, notifier } = runtime;
  return { config, store, clients, metrics, providers, tokens, authEvents, notifier, now, logger, ...keys };
}

export const silentLog = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Series of `simulatorConfigJson`: component statistics of the provider's corp, then per account
 * its corp statistics, its servicer total and one servicer series per servicer.
 */
export function simulatorSeriesCount(sim: Simulator): number {
  const accounts = sim.fixtures.accounts.length;
  const servicers = Object.values(sim.fixtures.servicers).reduce((n, list) => n + list.length, 0);
  return 1 + accounts + accounts + servicers;
}

/** An HTTP answer under test: its status, its body as text and, when it is JSON, parsed. */
export async function fetchAnswer(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, headers: response.headers };
}

/** How many days the ranges of a warning name. */
export function daysIn(ranges: readonly { from: string; to: string }[]): number {
  return ranges.reduce((n, r) => n + (Date.parse(r.to) - Date.parse(r.from)) / 86_400_000 + 1, 0);
}

/**
 * Checks answers against the OpenAPI document the server serves: each answer's status must be
 * documented for its route, and its JSON body valid against that status's schema. Remembers
 * which route and status each checked answer was, so a test can say every route was seen.
 */
export function createContractCheck(document: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  const routes = Object.keys(document.paths as Record<string, unknown>).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const seen = new Set<string>();
  const validators = new Map<string, ValidateFunction>();
  return {
    seen,
    /** Throws when the answer breaks the document; undefined for paths the document does not have. */
    check(method: string, url: string, answer: { status: number; body: Json; headers: Headers }): void {
      const path = new URL(url, 'http://x').pathname;
      const route = routes.find((r) => r.pattern.test(path));
      if (!route) return;
      const operation = document.paths[route.template][method.toLowerCase()];
      if (!operation) throw new Error(`${method} ${route.template} is not in the OpenAPI document`);
      const response = operation.responses[String(answer.status)];
      if (!response) throw new Error(`${method} ${route.template} answered ${answer.status}, which the OpenAPI document does not list`);
      const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
      if (type !== 'application/json') return;
      const schema = response.content?.['application/json']?.schema;
      if (!schema) throw new Error(`${method} ${route.template} ${answer.status}: the document has no JSON schema for it`);
      const key = `${method} ${route.template} ${answer.status}`;
      let validate = validators.get(key);
      if (!validate) validators.set(key, (validate = ajv.compile(schema)));
      if (!validate(answer.body)) throw new Error(`${key}: the answer breaks the document: ${ajv.errorsText(validate.errors)}`);
      seen.add(key);
    },
  };
}

/**
 * WeCom's POST of a decrypted `message` to a provider source's command callback: encrypted with
 * the EncodingAESKey and signed with the Token as WeCom does (WeCom's own crypto package).
 */
export async function postCallbackEvent(options: {
  url: string;
  suiteId: string;
  aesKey: string;
  token: string;
  message: string;
  nowMs: number;
}): Promise<{ status: number; text: string }> {
  const wecom = await import('@wecom/crypto');
  const encrypted = wecom.encrypt(options.aesKey, options.message, options.suiteId);
  const timestamp = String(Math.floor(options.nowMs / 1000));
  const query = new URLSearchParams({ msg_signature: wecom.getSignature(options.token, timestamp, '7', encrypted), timestamp, nonce: '7' });
  const response = await fetch(`${options.url}?${query}`, {
    method: 'POST',
    body: `<xml><ToUserName><![CDATA[${options.suiteId}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`,
    headers: { 'content-type': 'text/xml' },
  });
  return { status: response.status, text: await response.text() };
}
