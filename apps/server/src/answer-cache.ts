/**
 * Answers of the statistics routes kept in memory, with their ETag: a range whose days all came
 * from the archive as settled (nothing live to fetch) answers the same bytes until a day of its
 * series is written (the store's daysVersion moves, here or on another replica) or the China day
 * turns. Bounded by entries and bytes; the least recently used go first. Only what the key's
 * scope already allowed reaches it: the routes run behind the authenticated scope.
 */
import { createHash } from 'node:crypto';

export interface CachedAnswer {
  /** The serialized answer, encoded once. */
  body: Buffer;
  etag: string;
}

export interface AnswerCache {
  get(key: string, version: string): CachedAnswer | undefined;
  set(key: string, version: string, text: string): CachedAnswer;
  /** An answer encoded with its ETag, not kept. */
  unkept(text: string): CachedAnswer;
}

export function createAnswerCache(options: { maxEntries?: number; maxBytes?: number } = {}): AnswerCache {
  const maxEntries = options.maxEntries ?? 2000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const entries = new Map<string, CachedAnswer & { version: string }>();
  let bytes = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.body.byteLength;
  };
  const unkept = (text: string): CachedAnswer => {
    const body = Buffer.from(text);
    return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
  };
  return {
    get(key, version) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.version !== version) {
        drop(key);
        return undefined;
      }
      // Most recently used last.
      entries.delete(key);
      entries.set(key, entry);
      return entry;
    },
    set(key, version, text) {
      drop(key);
      const entry = { ...unkept(text), version };
      if (entry.body.byteLength > maxBytes) return entry;
      entries.set(key, entry);
      bytes += entry.body.byteLength;
      while (entries.size > maxEntries || bytes > maxBytes) drop(entries.keys().next().value!);
      return entry;
    },
    unkept,
  };
}

/** Whether an If-None-Match header names this ETag (a list, or *). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim().replace(/^W\//, '');
    return value === etag || value === '*';
  });
}
