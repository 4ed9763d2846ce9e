/**
 * The Node transport against a real HTTP server on 127.0.0.1: the response cap holds while reading,
 * with and without a content-length, and an oversized answer is not retried.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient, createUndiciTransport, ResponseFormatError } from '../src/node.js';

const MB = 1024 * 1024;
let server: Server;
let url: string;
let served = 0;
/** Bytes the server managed to write before the client hung up, per request. */
const written: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    served += 1;
    const chunked = req.url!.includes('chunked');
    const total = 50 * MB;
    const block = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    res.writeHead(
      200,
      chunked ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', 'content-length': String(total) },
    );
    const pump = () => {
      while (sent < total) {
        sent += block.length;
        if (!res.write(block)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => written.push(sent));
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the response cap', () => {
  it('stops reading a chunked answer as soon as it passes 8 MB', async () => {
    const transport = createUndiciTransport();
    const error = await transport({ method: 'GET', url: `${url}/chunked`, headers: {}, timeoutMs: 10_000, label: '/chunked' }).catch(
      (e: unknown) => e,
    );
    await transport.close();
    expect(error).toBeInstanceOf(ResponseFormatError);
    expect((error as Error).message).toBe(
      "Unexpected answer from /chunked: response larger than 8 MB; WeCom's answers are a few KB, so this is not one of them. Not retried.",
    );
    await new Promise((r) => setTimeout(r, 50));
    // The server wrote far less than the 50 MB it offered: the client hung up early.
    expect(written.at(-1)!).toBeLessThan(20 * MB);
  });

  it('refuses an answer whose content-length is over the cap without reading it', async () => {
    const transport = createUndiciTransport({ maxResponseBytes: 1 * MB });
    await expect(transport({ method: 'GET', url: `${url}/sized`, headers: {}, timeoutMs: 10_000, label: '/sized' })).rejects.toThrow(
      'Unexpected answer from /sized: response larger than 1 MB;',
    );
    await transport.close();
  });

  it('is not retried', async () => {
    served = 0;
    const client = createNodeClient({ auth: { type: 'token', accessToken: 'cap-test-token' }, baseUrl: `${url}/chunked` });
    await expect(client.getStatistics({ endpoint: 'component', last: 1 })).rejects.toThrow(/response larger than 8 MB/);
    await client.close();
    expect(served).toBe(1);
  });
});

describe('createNodeClient', () => {
  it('names bad options instead of throwing a TypeError', () => {
    expect(() => createNodeClient(undefined as never)).toThrow(
      'Invalid options: missing. Allowed: an object such as { auth: { type: "selfBuilt", corpId, corpSecret } }.',
    );
    expect(() => createNodeClient('token' as never)).toThrow('Invalid options: "token". Allowed: an object such as');
  });
});
