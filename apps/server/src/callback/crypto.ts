/**
 * WeCom's callback message encryption (docs/wecom-api.md §4, page 90968): a SHA-1 signature over
 * the sorted token, timestamp, nonce and ciphertext; AES-256-CBC with the key decoded from the
 * 43-character EncodingAESKey and the IV its first 16 bytes; PKCS#7 padding to 32-byte blocks; the
 * plain text is 16 random bytes, the message length (4 bytes, big-endian), the message, then the
 * receive id.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BLOCK = 32;

/** A callback signed further than this from the server's clock is refused (a replay or a wrong clock). */
export const CALLBACK_MAX_SKEW_SECONDS = 300;

/** Why a callback was refused; `status` is the HTTP answer. Messages hold no secret. */
export class CallbackRefusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'CallbackRefusal';
    this.status = status;
  }
}

/** The 32-byte key of a 43-character EncodingAESKey; undefined when it is not one. */
export function aesKeyOf(encodingAesKey: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) return undefined;
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  return key.length === 32 ? key : undefined;
}

/**
 * SHA-1 of the four values sorted and joined (page 91144), hashed part by part: a long body is
 * neither copied nor decoded. The values are ASCII (WeCom's Token, digits, base64), whose byte
 * order is their text order.
 */
export function signature(token: string, timestamp: string, nonce: string, encrypted: string | Buffer): string {
  const parts = [token, timestamp, nonce, encrypted].map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part));
  const hash = createHash('sha1');
  for (const part of parts.sort(Buffer.compare)) hash.update(part);
  return hash.digest('hex');
}

/** Constant-time comparison of a received signature with the expected one. */
export function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function encrypt(key: Buffer, message: string, receiveId: string, random: Buffer = randomBytes(16)): string {
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  const plain = Buffer.concat([random, length, body, Buffer.from(receiveId, 'utf8')]);
  const pad = BLOCK - (plain.length % BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** The message and receive id of a ciphertext; a CallbackRefusal (400) when it is not one. */
export function decrypt(key: Buffer, encrypted: string): { message: string; receiveId: string } {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) throw new CallbackRefusal(400, 'the ciphertext is not base64');
  const data = Buffer.from(encrypted, 'base64');
  if (data.length < BLOCK || data.length % 16 !== 0)
    throw new CallbackRefusal(400, `the ciphertext is ${data.length} bytes, not whole AES blocks`);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new CallbackRefusal(400, 'the ciphertext does not decrypt');
  }
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new CallbackRefusal(400, 'the ciphertext does not decrypt with this EncodingAESKey (bad padding)');
  }
  const content = plain.subarray(0, plain.length - pad);
  if (content.length < 20) throw new CallbackRefusal(400, 'the decrypted text is too short');
  const length = content.readUInt32BE(16);
  if (20 + length > content.length) throw new CallbackRefusal(400, 'the decrypted text is shorter than its stated length');
  return {
    message: content.subarray(20, 20 + length).toString('utf8'),
    receiveId: content.subarray(20 + length).toString('utf8'),
  };
}
