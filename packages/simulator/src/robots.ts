/**
 * WeCom group robots (page 91770): POST /cgi-bin/webhook/send?key=KEY with a JSON message. The
 * key must be a robot's (else errcode 93000); text content is at most 2048 bytes and markdown at
 * most 4096 (else 40058); a robot takes 20 messages in any minute (else 45009). Accepted messages
 * are kept for tests to read.
 */
import { randomBytes } from 'node:crypto';

/** Messages a robot takes per minute. */
export const ROBOT_MESSAGES_PER_MINUTE = 20;
/** The largest content of each message type, in bytes of UTF-8. */
export const ROBOT_CONTENT_LIMITS: Readonly<Record<string, number>> = { text: 2048, markdown: 4096, markdown_v2: 4096 };

export interface RobotMessage {
  key: string;
  msgtype: string;
  content: string;
  /** Simulator clock, epoch ms. */
  at: number;
}

export interface RobotAnswer {
  errcode: number;
  errmsg: string;
}

export class RobotBook {
  readonly #robots = new Map<string, number[]>();
  readonly #messages: RobotMessage[] = [];

  /** A robot: its key (random unless given). */
  add(
    key: string = randomBytes(16)
      .toString('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
  ): string {
    if (!/^[A-Za-z0-9-]{8,128}$/.test(key)) throw new TypeError('a robot key is 8 to 128 letters, digits and "-"');
    this.#robots.set(key, []);
    return key;
  }

  remove(key: string): void {
    this.#robots.delete(key);
  }

  messages(key?: string): readonly RobotMessage[] {
    return key === undefined ? [...this.#messages] : this.#messages.filter((m) => m.key === key);
  }

  /** One POST to the webhook: WeCom's answer. */
  send(key: string | null, body: string, nowMs: number): RobotAnswer {
    const sent = key === null ? undefined : this.#robots.get(key);
    if (sent === undefined) return { errcode: 93000, errmsg: "invalid webhook url, hint: the key is not a robot's" };
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return { errcode: 40058, errmsg: 'invalid parameter: the body is not JSON' };
    }
    const msgtype = (message as { msgtype?: unknown } | null)?.msgtype;
    if (typeof msgtype !== 'string' || !(msgtype in ROBOT_CONTENT_LIMITS)) return { errcode: 40008, errmsg: 'invalid message type' };
    const content = ((message as Record<string, { content?: unknown } | undefined>)[msgtype] ?? {}).content;
    if (typeof content !== 'string' || content === '') return { errcode: 44004, errmsg: `${msgtype}.content is empty` };
    const limit = ROBOT_CONTENT_LIMITS[msgtype]!;
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > limit) return { errcode: 40058, errmsg: `${msgtype}.content exceed max length ${limit}, got ${bytes}` };
    // Any 60 s holds at most 20 accepted messages.
    while (sent.length > 0 && sent[0]! <= nowMs - 60_000) sent.shift();
    if (sent.length >= ROBOT_MESSAGES_PER_MINUTE) return { errcode: 45009, errmsg: 'api freq out of limit' };
    sent.push(nowMs);
    this.#messages.push({ key: key!, msgtype, content, at: nowMs });
    return { errcode: 0, errmsg: 'ok' };
  }
}
