/**
 * The server's own implementation of WeCom's callback encryption, checked against WeCom's published
 * sample (page 90968's vector) and against WeCom's npm package `@wecom/crypto`, both ways.
 */
import { randomBytes } from 'node:crypto';
import * as wecom from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import { aesKeyOf, CallbackRefusal, decrypt, encrypt, signature, signatureMatches } from '../src/callback/crypto.js';

// WeCom's published sample: Token, EncodingAESKey and receive id, and one posted message.
const SAMPLE = {
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: 'wx5823bf96d3bd56c7',
  msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
};
const key = aesKeyOf(SAMPLE.encodingAesKey)!;

describe('callback crypto', () => {
  it("signs WeCom's sample message with the signature WeCom sent", () => {
    expect(signature(SAMPLE.token, SAMPLE.timestamp, SAMPLE.nonce, SAMPLE.encrypt)).toBe(SAMPLE.msgSignature);
    expect(signatureMatches(SAMPLE.msgSignature, SAMPLE.msgSignature.toUpperCase())).toBe(true);
    expect(signatureMatches(SAMPLE.msgSignature, SAMPLE.msgSignature.replace(/.$/, '0'))).toBe(false);
  });

  it("decrypts WeCom's sample message to its XML and receive id", () => {
    const { message, receiveId } = decrypt(key, SAMPLE.encrypt);
    expect(receiveId).toBe(SAMPLE.receiveId);
    expect(message).toMatch(/^<xml><ToUserName><!\[CDATA\[wx5823bf96d3bd56c7\]\]><\/ToUserName>/);
    expect(message).toMatch(/<\/xml>$/);
    // WeCom's package reads the same.
    expect(wecom.decrypt(SAMPLE.encodingAesKey, SAMPLE.encrypt)).toMatchObject({ message, id: receiveId });
  });

  it('encrypts byte for byte as WeCom does for the same random prefix, with multi-byte text', () => {
    const random = randomBytes(16);
    for (const message of [
      '<xml><InfoType><![CDATA[suite_ticket]]></InfoType></xml>',
      '测试一下中文的情况，消息长度是按字节来算的',
      '',
      'x'.repeat(4000),
    ]) {
      expect(encrypt(key, message, 'wwsuite01', random)).toBe(wecom.encrypt(SAMPLE.encodingAesKey, message, 'wwsuite01', random));
    }
  });

  it("reads what WeCom's package encrypts, and WeCom's package reads what it encrypts", () => {
    for (let length = 0; length < 70; length += 1) {
      const message = `<xml>${'é'.repeat(length)}</xml>`;
      expect(decrypt(key, wecom.encrypt(SAMPLE.encodingAesKey, message, 'ww-receive'))).toEqual({ message, receiveId: 'ww-receive' });
      const mine = encrypt(key, message, 'ww-receive');
      expect(wecom.decrypt(SAMPLE.encodingAesKey, mine)).toMatchObject({ message, id: 'ww-receive' });
      expect(signature('tok', '1', '2', mine)).toBe(wecom.getSignature('tok', '1', '2', mine));
    }
  });

  it('refuses what is not a ciphertext of this key, as a 400', () => {
    const otherKey = aesKeyOf('a'.repeat(43))!;
    const bad = [
      () => decrypt(key, 'not base64!'),
      () => decrypt(key, Buffer.alloc(8).toString('base64')),
      () => decrypt(key, Buffer.alloc(33).toString('base64')),
      () => decrypt(otherKey, SAMPLE.encrypt),
    ];
    for (const attempt of bad) {
      const error = (() => {
        try {
          attempt();
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(CallbackRefusal);
      expect((error as CallbackRefusal).status).toBe(400);
    }
  });

  it('takes only a 43-character EncodingAESKey', () => {
    expect(aesKeyOf(SAMPLE.encodingAesKey)?.length).toBe(32);
    for (const bad of ['', 'short', `${SAMPLE.encodingAesKey}=`, SAMPLE.encodingAesKey.replace('j', '*')])
      expect(aesKeyOf(bad)).toBeUndefined();
  });
});
