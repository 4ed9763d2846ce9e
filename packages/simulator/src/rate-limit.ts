/**
 * Fixed-window request counting per minute of the simulator clock: per (corp, API path), and
 * optionally for the whole caller (WeCom also limits per IP, page 90454).
 */
export class MinuteRateLimiter {
  #perMinute: number | undefined;
  readonly #ipPerMinute: number | undefined;
  #minute = Number.NaN;
  #ipCount = 0;
  readonly #counts = new Map<string, number>();

  constructor(perMinute: number | undefined, ipPerMinute?: number) {
    this.#perMinute = perMinute;
    this.#ipPerMinute = ipPerMinute;
  }

  get perMinute(): number | undefined {
    return this.#perMinute;
  }

  set perMinute(value: number | undefined) {
    this.#perMinute = value;
  }

  /** Counts one request; true when it is over the limit of its minute. */
  hit(corpId: string, path: string, nowMs: number): boolean {
    const limit = this.#perMinute;
    if (limit === undefined && this.#ipPerMinute === undefined) return false;
    const minute = Math.floor(nowMs / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#counts.clear();
      this.#ipCount = 0;
    }
    this.#ipCount += 1;
    if (this.#ipPerMinute !== undefined && this.#ipCount > this.#ipPerMinute) return true;
    if (limit === undefined) return false;
    const key = `${corpId} ${path}`;
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return count > limit;
  }
}
