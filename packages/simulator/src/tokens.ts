/** Opaque access tokens and suite tokens with an expiry on the simulator clock. */

import { randomBytes } from 'node:crypto';

/** 'self-built' from gettoken, 'suite-corp' from get_corp_token, 'suite' a suite_access_token. */
export type TokenKind = 'self-built' | 'suite-corp' | 'suite';

export interface TokenRecord {
  /** The corp id, or the suite id for a suite token. */
  subjectId: string;
  kind: TokenKind;
  /** Sim-clock epoch ms from which the token is expired. */
  expiresAt: number;
  /** Set when the corp cancelled its authorization of the suite (a 'suite-corp' token). */
  revoked?: boolean;
}

export type TokenLookup = { status: 'valid'; record: TokenRecord } | { status: 'expired'; record: TokenRecord } | { status: 'unknown' };

/** Above this many remembered tokens, expired ones are forgotten (they then answer as unknown). */
const PRUNE_ABOVE = 100_000;

export class TokenRegistry {
  readonly #tokens = new Map<string, TokenRecord>();

  issue(subjectId: string, kind: TokenKind, ttlSec: number, nowMs: number): string {
    if (this.#tokens.size >= PRUNE_ABOVE) this.#pruneExpired(nowMs);
    const token = randomBytes(48).toString('base64url');
    this.#tokens.set(token, { subjectId, kind, expiresAt: nowMs + ttlSec * 1000 });
    return token;
  }

  lookup(token: string, nowMs: number): TokenLookup {
    const record = this.#tokens.get(token);
    if (!record) return { status: 'unknown' };
    return nowMs >= record.expiresAt ? { status: 'expired', record } : { status: 'valid', record };
  }

  /** Marks every token of a subject and kind as revoked (they stay known). */
  revoke(subjectId: string, kind: TokenKind): void {
    for (const record of this.#tokens.values()) {
      if (record.subjectId === subjectId && record.kind === kind) record.revoked = true;
    }
  }

  /** Forgets every token: each one answers as unknown from now on. */
  invalidateAll(): void {
    this.#tokens.clear();
  }

  #pruneExpired(nowMs: number): void {
    for (const [token, record] of this.#tokens) {
      if (nowMs >= record.expiresAt) this.#tokens.delete(token);
    }
  }
}
