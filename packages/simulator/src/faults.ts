/** Faults injected on demand: what they are, which requests they hit, and in what order. */

export interface FaultTarget {
  /**
   * Which requests the fault applies to: an exact path (`'/cgi-bin/kf/get_statistic'`) or a
   * pattern tested against the path. Default: every path under `/cgi-bin/kf/`.
   */
  path?: string | RegExp;
  /** How many matching requests it hits; default 1. */
  times?: number;
  /** How many matching requests it lets through untouched before it starts to hit; default 0. */
  skip?: number;
}

export type FaultKind =
  /** HTTP 200 with this errcode. */
  | { kind: 'errcode'; errcode: number; errmsg?: string }
  /** This HTTP status with a small HTML body, as a gateway in front of WeCom would send. */
  | { kind: 'http'; status: number }
  /** The connection is destroyed without an answer. */
  | { kind: 'drop' }
  /** HTTP 200, JSON content type, a body that is not valid JSON (truncated). */
  | { kind: 'malformed' }
  /** HTTP 200, errcode 0, but the payload has the wrong shape (e.g. `statistic_list` is a string). */
  | { kind: 'schema' }
  /** The normal answer, after this many extra milliseconds. */
  | { kind: 'delay'; ms: number };

export type Fault = FaultTarget & FaultKind;

const DEFAULT_PREFIX = '/cgi-bin/kf/';

export function faultMatches(fault: Fault, path: string): boolean {
  const target = fault.path;
  if (target === undefined) return path.startsWith(DEFAULT_PREFIX);
  if (typeof target === 'string') return path === target;
  // `search` ignores `lastIndex`, so a pattern with the g or y flag still matches every time.
  return path.search(target) >= 0;
}

function validateFault(fault: Fault): void {
  const times = fault.times ?? 1;
  if (!Number.isInteger(times) || times < 1) {
    throw new RangeError(`fault.times must be a positive integer, got ${String(fault.times)}`);
  }
  const skip = fault.skip ?? 0;
  if (!Number.isInteger(skip) || skip < 0) {
    throw new RangeError(`fault.skip must be a whole number, got ${String(fault.skip)}`);
  }
  switch (fault.kind) {
    case 'errcode':
      if (!Number.isInteger(fault.errcode)) throw new RangeError('errcode fault needs an integer errcode');
      return;
    case 'http':
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
        throw new RangeError(`http fault needs a status 100..599, got ${String(fault.status)}`);
      }
      return;
    case 'delay':
      if (!Number.isFinite(fault.ms) || fault.ms < 0) {
        throw new RangeError(`delay fault needs ms >= 0, got ${String(fault.ms)}`);
      }
      return;
    case 'drop':
    case 'malformed':
    case 'schema':
      return;
    default: {
      const unknown: { kind?: unknown } = fault;
      throw new RangeError(`unknown fault kind ${String(unknown.kind)}`);
    }
  }
}

/** Queued faults, consumed first-in first-out by the requests they match. */
export class FaultQueue {
  readonly #queue: { fault: Fault; remaining: number; skip: number }[] = [];

  add(fault: Fault): void {
    validateFault(fault);
    this.#queue.push({ fault: { ...fault }, remaining: fault.times ?? 1, skip: fault.skip ?? 0 });
  }

  clear(): void {
    this.#queue.length = 0;
  }

  get size(): number {
    return this.#queue.length;
  }

  /** The first queued fault matching the path, using up one of its hits; undefined if none. */
  take(path: string): Fault | undefined {
    const index = this.#queue.findIndex((entry) => faultMatches(entry.fault, path));
    if (index < 0) return undefined;
    const entry = this.#queue[index];
    if (!entry) return undefined;
    if (entry.skip > 0) {
      entry.skip -= 1;
      return undefined;
    }
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#queue.splice(index, 1);
    return entry.fault;
  }
}
