/**
 * A service provider's command callback URL for the tests: it checks each request's signature and
 * decrypts it with WeCom's `@wecom/crypto`, records what it got, and answers as a provider does.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decrypt, getSignature } from '@wecom/crypto';

/** Callback keys of the tests (demo values). */
export const CALLBACK_TOKEN = 'sim-callback-token';
export const CALLBACK_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

export interface Received {
  method: string;
  query: URLSearchParams;
  /** Raw request body. */
  body: string;
  /** Outer XML fields of a POST (ToUserName, Encrypt, AgentID). */
  outer: Record<string, string>;
  /** The ciphertext: `echostr` of a GET, `Encrypt` of a POST. */
  ciphertext: string;
  /** Whether `msg_signature` matches the Token, timestamp, nonce and ciphertext. */
  signatureOk: boolean;
  /** The decrypted text and its receive id. */
  message: string;
  receiveId: string;
  /** Fields of the decrypted XML of a POST. */
  fields: Record<string, string>;
}

export interface ReceiverAnswer {
  status: number;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** How it answers; default: the plain echostr to a GET, `success` to a POST. */
  answer: (received: Received) => ReceiverAnswer | 'hang';
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Fields of a flat XML document: CDATA or plain text content. */
export function xmlFields(xml: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of xml.matchAll(/<(\w+)>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))<\/\1>/g)) {
    const name = match[1];
    if (name !== undefined && name !== 'xml') fields[name] = match[2] ?? match[3] ?? '';
  }
  return fields;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function defaultAnswer(received: Received): ReceiverAnswer {
  if (!received.signatureOk) return { status: 403, body: 'bad signature' };
  return { status: 200, body: received.method === 'GET' ? received.message : 'success' };
}

export async function startReceiver(keys = { token: CALLBACK_TOKEN, encodingAesKey: CALLBACK_AES_KEY }): Promise<Receiver> {
  const hanging: ServerResponse[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: defaultAnswer,
    waitFor(count, timeoutMs = 3_000) {
      if (receiver.received.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${receiver.received.length} of ${count} callback requests arrived`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://receiver.invalid');
    const body = await readBody(req);
    const query = url.searchParams;
    const outer = req.method === 'POST' ? xmlFields(body) : {};
    const ciphertext = (req.method === 'GET' ? query.get('echostr') : outer['Encrypt']) ?? '';
    const expected = getSignature(keys.token, query.get('timestamp') ?? '', query.get('nonce') ?? '', ciphertext);
    let message = '';
    let receiveId = '';
    try {
      ({ message, id: receiveId } = decrypt(keys.encodingAesKey, ciphertext));
    } catch {
      // Left empty: the test sees that decryption failed.
    }
    const received: Received = {
      method: req.method ?? '',
      query,
      body,
      outer,
      ciphertext,
      signatureOk: query.get('msg_signature') === expected,
      message,
      receiveId,
      fields: req.method === 'POST' ? xmlFields(message) : {},
    };
    receiver.received.push(received);
    for (const waiter of waiters.filter((w) => receiver.received.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const answer = receiver.answer(received);
    if (answer === 'hang') {
      hanging.push(res);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(answer.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback/sim-source`;
  return receiver;
}

/** A URL on 127.0.0.1 where nothing listens. */
export async function unusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/callback/nobody`;
}

/** Waits real milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
