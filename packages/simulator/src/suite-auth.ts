/** The suite_tickets WeCom has issued and the one-time auth codes of new authorizations. */

import { randomBytes } from 'node:crypto';

/** A pushed suite_ticket stays valid this long after it was issued (page 90628). */
export const SUITE_TICKET_TTL_MS = 30 * 60_000;
/** An auth code (临时授权码) stays valid this long after the authorization (page 90642). */
export const AUTH_CODE_TTL_MS = 10 * 60_000;

/** Above this many remembered tickets or codes, expired ones are forgotten. */
const PRUNE_ABOVE = 10_000;

/** Tickets `get_suite_token` accepts, each with its expiry on the simulator clock. */
export class SuiteTicketBook {
  readonly #expiresAt = new Map<string, number>();

  /** A ticket accepted until `expiresAt` (sim-clock epoch ms), or for good. */
  add(ticket: string, expiresAt = Number.POSITIVE_INFINITY): void {
    this.#expiresAt.set(ticket, expiresAt);
  }

  /** Issues a new random ticket, valid for `SUITE_TICKET_TTL_MS` from `nowMs`. */
  issue(nowMs: number): string {
    if (this.#expiresAt.size >= PRUNE_ABOVE) this.#pruneExpired(nowMs);
    const ticket = randomBytes(48).toString('base64url');
    this.add(ticket, nowMs + SUITE_TICKET_TTL_MS);
    return ticket;
  }

  remove(ticket: string): void {
    this.#expiresAt.delete(ticket);
  }

  accepts(ticket: string, nowMs: number): boolean {
    const expiresAt = this.#expiresAt.get(ticket);
    return expiresAt !== undefined && nowMs < expiresAt;
  }

  #pruneExpired(nowMs: number): void {
    for (const [ticket, expiresAt] of this.#expiresAt) {
      if (expiresAt <= nowMs) this.#expiresAt.delete(ticket);
    }
  }
}

interface AuthCodeRecord {
  corpId: string;
  state: string;
  expiresAt: number;
}

/** One-time auth codes: each one can be exchanged once for its corp's permanent code. */
export class AuthCodeBook {
  readonly #codes = new Map<string, AuthCodeRecord>();

  issue(corpId: string, state: string, nowMs: number): string {
    if (this.#codes.size >= PRUNE_ABOVE) {
      for (const [code, record] of this.#codes) if (record.expiresAt <= nowMs) this.#codes.delete(code);
    }
    const code = randomBytes(48).toString('base64url');
    this.#codes.set(code, { corpId, state, expiresAt: nowMs + AUTH_CODE_TTL_MS });
    return code;
  }

  /** The corp and state of a valid code, which is used up by this call; undefined if unknown, used or expired. */
  redeem(code: string, nowMs: number): { corpId: string; state: string } | undefined {
    const record = this.#codes.get(code);
    if (!record) return undefined;
    this.#codes.delete(code);
    if (nowMs >= record.expiresAt) return undefined;
    return { corpId: record.corpId, state: record.state };
  }

  /** Forgets every code of a corp (its authorization was cancelled). */
  dropCorp(corpId: string): void {
    for (const [code, record] of this.#codes) if (record.corpId === corpId) this.#codes.delete(code);
  }
}
