/**
 * The real Node-RED runtime (through node-red-node-test-helper) with this package's BUILT node
 * files from dist/, loaded the way Node-RED's registry loads them: `require()`, the default export
 * unwrapped, and `RED._` bound to the node set's message catalog from dist/locales.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatisticsDay } from '@wecom-kf-stats/core/internal';
import type { Simulator } from '@wecom-kf-stats/simulator';
import { expect } from 'vitest';
import { hostRequire, nodeRedMain, nodeRedRequire } from './host.js';

const require = createRequire(import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export const helper: Any = hostRequire('node-red-node-test-helper');
helper.init(nodeRedMain);

const { i18n } = nodeRedRequire('@node-red/util') as { i18n: Any };

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const MODULE = '@wecom-kf-stats/node-red-wecom-kf-stats';
export const NODE_SETS = ['wecom-kf-config', 'wecom-kf-stats', 'wecom-kf-accounts'] as const;

let nodeSets: Promise<((RED: Any) => unknown)[]> | undefined;

async function loadNodeSet(name: string): Promise<(RED: Any) => unknown> {
  const exported = require(path.join(dist, `${name}.js`));
  const register = exported.__esModule ? exported.default : exported;
  const namespace = `${MODULE}/${name}`;
  await i18n.registerMessageCatalog(namespace, path.join(dist, 'locales'), `${name}.json`);
  return (RED: Any) => {
    const scoped = Object.create(RED);
    scoped._ = (key: string, params?: object) => i18n._(key.includes(':') ? key : `${namespace}:${key}`, params);
    return register(scoped);
  };
}

/** The three node sets, loaded once per test file. */
export function builtNodes(): Promise<((RED: Any) => unknown)[]> {
  nodeSets ??= (async () => {
    await i18n.init({ lang: 'en-US' });
    return Promise.all(NODE_SETS.map(loadNodeSet));
  })();
  return nodeSets;
}

/**
 * Puts the nodes on one tab (Catch and Status nodes only see nodes of their own flow); nodes with
 * wires, and helper nodes, get a position, which is how the runtime tells them from config nodes.
 */
export function onTab(flow: object[]): object[] {
  const place = (n: Record<string, unknown>) => ('wires' in n || n.type === 'helper' ? { x: 100, y: 100, ...n } : n);
  return [{ id: 'flow', type: 'tab', label: 'test' }, ...flow.map((n) => place({ z: 'flow', ...n }))];
}

export async function load(flow: object[], credentials: Record<string, object> = {}): Promise<void> {
  await helper.load(await builtNodes(), onTab(flow), credentials);
}

/** Every msg a helper node receives, and a way to wait for a count of them. */
export function collect(nodeId: string) {
  const node = helper.getNode(nodeId);
  const messages: Any[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  node.on('input', (msg: Any) => {
    messages.push(msg);
    for (const w of [...waiters]) if (messages.length >= w.count) w.resolve();
  });
  return {
    messages,
    async waitFor(count: number, timeoutMs = 8000): Promise<Any[]> {
      if (messages.length < count) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${nodeId}: expected ${count} messages, got ${messages.length}`)), timeoutMs);
          waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
        });
      }
      return messages;
    },
  };
}

export function selfBuiltConfig(sim: Simulator, extra: object = {}) {
  return {
    node: {
      id: 'cfg',
      type: 'wecom-kf-config',
      authType: 'selfBuilt',
      corpId: sim.fixtures.selfBuilt.corpId,
      baseUrl: sim.url,
      concurrency: '3',
      ...extra,
    },
    credentials: { cfg: { corpSecret: sim.fixtures.selfBuilt.corpSecret } },
  };
}

/** Each day's statistic is exactly what the simulator serves (absent metrics null, never 0). */
export function expectDaysMatch(
  sim: Simulator,
  days: StatisticsDay[],
  query: { endpoint: 'component' | 'corp' | 'servicer'; corpId: string; openKfid?: string; servicerUserid?: string },
): void {
  for (const day of days) {
    const expected = sim.expectedStatistic({ ...query, date: day.date });
    if (expected === undefined) {
      expect(day.statistic, day.date).toBeNull();
      continue;
    }
    for (const [key, value] of Object.entries(expected)) expect(day.statistic?.[key], `${day.date} ${key}`).toBe(value);
    for (const [key, value] of Object.entries(day.statistic ?? {})) expect(value, `${day.date} ${key}`).toBe(expected[key] ?? null);
  }
}
