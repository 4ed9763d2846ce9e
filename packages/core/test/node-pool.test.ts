/**
 * The Node entry opens a connection pool only for a client that brings no transport: a host that
 * shares one pool among thousands of clients (the server, one client per corp) must not get a
 * second, unused pool per client.
 */
import type * as Undici from 'undici';
import { describe, expect, it, vi } from 'vitest';

const pools = vi.hoisted(() => ({ opened: 0 }));
vi.mock('undici', async (importOriginal) => {
  const undici = await importOriginal<typeof Undici>();
  class CountedAgent extends undici.Agent {
    constructor(...args: ConstructorParameters<typeof undici.Agent>) {
      super(...args);
      pools.opened += 1;
    }
  }
  return { ...undici, Agent: CountedAgent };
});

const { createNodeClient } = await import('../src/node.js');

describe('createNodeClient', () => {
  it('opens no pool when given a transport, and one when not', async () => {
    const auth = { type: 'token', accessToken: 'token-for-the-pool-test' } as const;
    const given = createNodeClient({ auth, transport: async () => ({ status: 200, body: '{}' }) });
    await given.close();
    expect(pools.opened).toBe(0);
    const own = createNodeClient({ auth });
    await own.close();
    expect(pools.opened).toBe(1);
  });
});
