/**
 * Sending to a WeCom group robot (page 91770): POST JSON to its webhook URL, whose `key` is the
 * secret. The robot answers errcode in an HTTP 200 body like WeCom's other APIs. It takes 20
 * messages a minute: sends are paced per robot (with the other replicas on PostgreSQL), -1 and
 * 45009 are tried again after a wait, and a refused key (93000) stops that robot.
 */
import { createHash } from 'node:crypto';
import { createPacer, defaultSleep, type Pacer } from '../pacer.js';
import { redactText, registerSecret } from '../kf-core.js';
import type { Store } from '../store/store.js';

/** A robot takes 20 messages a minute (page 91770). */
export const ROBOT_PER_MINUTE = 20;
/** A markdown message's content is at most 4096 bytes of UTF-8 (page 91770). */
export const MARKDOWN_MAX_BYTES = 4096;
/** WeCom's answer to a webhook whose key is not a robot's. */
export const BAD_WEBHOOK_ERRCODES = new Set([93000]);
const PATH = '/cgi-bin/webhook/send';

/** The robot's secret key, out of its webhook URL. */
export function webhookKey(url: string): string {
  return new URL(url).searchParams.get('key') ?? '';
}

/** The webhook URL as it may be shown: its key hidden. */
export function shownWebhook(url: string): string {
  try {
    const shown = new URL(url);
    if (shown.searchParams.has('key')) shown.searchParams.set('key', '***');
    return shown.toString();
  } catch {
    return '(not a URL)';
  }
}

/** A robot's name in the pacer and in the log: a hash of its key, which says nothing of the key. */
export const robotId = (url: string) => `robot-${createHash('sha256').update(webhookKey(url)).digest('hex').slice(0, 16)}`;

export interface RobotOutcome {
  state: 'sent' | 'failed';
  /** What happened (no secret). */
  outcome: string;
  attempts: number;
  /** WeCom refused the key itself: nothing more should go to this robot. */
  badKey?: boolean;
}

export interface RobotClientOptions {
  store: Store;
  now: () => number;
  /** Waits between tries and for the pacer. @default timers */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The first wait after -1; doubled each try. @default 2000 */
  retryDelayMs?: number;
  /** Tries of one message at most. @default 6 */
  maxAttempts?: number;
  /** One request's limit. @default 10000 */
  timeoutMs?: number;
}

export interface RobotClient {
  /** Send one markdown message (or text, for `--test`). */
  send(webhook: string, message: { msgtype: 'markdown' | 'text'; content: string }, signal?: AbortSignal): Promise<RobotOutcome>;
}

/** Network errors where the request never reached the robot: trying again cannot send twice. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function createRobotClient(options: RobotClientOptions): RobotClient {
  const { now } = options;
  const sleep = options.sleep ?? defaultSleep;
  const retryDelayMs = options.retryDelayMs ?? 2000;
  const maxAttempts = options.maxAttempts ?? 6;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pacer: Pacer = createPacer({
    limits: {
      perCorpPerMinute: ROBOT_PER_MINUTE,
      perCorpPerHour: ROBOT_PER_MINUTE * 60,
      // Robots are limited each on its own: the IP scope never binds.
      perIpPerMinute: 1_000_000,
      perIpPerHour: 60_000_000,
      blockSeconds: 60,
      marginMs: 1000,
    },
    now,
    sleep,
    ...(options.store.pacing ? { shared: options.store.pacing, ipGroup: 'group-robots' } : {}),
  });

  return {
    async send(webhook, message, signal) {
      registerSecret(webhookKey(webhook));
      const robot = robotId(webhook);
      const body = JSON.stringify(
        message.msgtype === 'markdown'
          ? { msgtype: 'markdown', markdown: { content: message.content } }
          : { msgtype: 'text', text: { content: message.content } },
      );
      let last = 'not tried';
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        await pacer.acquire(robot, PATH, signal);
        let answer: { errcode?: unknown; errmsg?: unknown } | undefined;
        try {
          const response = await fetch(webhook, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
          });
          const text = await response.text();
          if (response.status >= 500 || response.status === 429) {
            last = `HTTP ${response.status}`;
            await sleep(retryDelayMs * 2 ** (attempt - 1), signal);
            continue;
          }
          if (response.status !== 200) return { state: 'failed', outcome: `the robot answered HTTP ${response.status}`, attempts: attempt };
          try {
            answer = JSON.parse(text) as typeof answer;
          } catch {
            return { state: 'failed', outcome: 'the robot answered something that is not JSON', attempts: attempt };
          }
        } catch (error) {
          if (signal?.aborted) throw error;
          const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? '';
          if (NOT_SENT.has(code)) {
            last = `cannot reach the robot (${code})`;
            await sleep(retryDelayMs * 2 ** (attempt - 1), signal);
            continue;
          }
          // The request may have reached the robot: sending it again could post it twice.
          const why = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : redactText((error as Error).message);
          return { state: 'failed', outcome: `${why}; not sent again, so that the group never gets it twice`, attempts: attempt };
        }
        const errcode = typeof answer?.errcode === 'number' ? answer.errcode : undefined;
        const errmsg = typeof answer?.errmsg === 'string' ? redactText(answer.errmsg).slice(0, 200) : '';
        if (errcode === 0) return { state: 'sent', outcome: 'sent', attempts: attempt };
        if (errcode === 45009) {
          // The robot's 20 a minute: every sender waits for the block to pass.
          pacer.frequencyLimited(robot, PATH);
          last = 'errcode 45009 (more than 20 messages a minute)';
          continue;
        }
        if (errcode === -1) {
          last = 'errcode -1 (system busy)';
          await sleep(retryDelayMs * 2 ** (attempt - 1), signal);
          continue;
        }
        if (errcode !== undefined && BAD_WEBHOOK_ERRCODES.has(errcode))
          return {
            state: 'failed',
            outcome: `the robot refused the webhook key (errcode ${errcode} ${errmsg})`,
            attempts: attempt,
            badKey: true,
          };
        return {
          state: 'failed',
          outcome: `the robot refused the message (errcode ${String(errcode ?? 'missing')} ${errmsg})`.trim(),
          attempts: attempt,
        };
      }
      return { state: 'failed', outcome: `${last}, ${maxAttempts} times`, attempts: maxAttempts };
    },
  };
}
