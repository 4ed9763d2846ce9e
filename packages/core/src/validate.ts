/**
 * Parsing at the boundaries: a zod failure becomes one ValidationError naming the field (its path),
 * the value found there and what is allowed (the schema's own error text).
 */
import type { z } from 'zod';
import { ValidationError } from './errors.js';

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Parse or throw a ValidationError for the first problem found. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw new ValidationError(
      formatPath(root, [...issue.path, key]),
      valueAt(input, [...issue.path, key]),
      'no such option',
      'unknown option',
    );
  }
  throw new ValidationError(formatPath(root, issue.path), valueAt(input, issue.path), issue.message);
}

/**
 * One of a fixed set of choices (a host's select, a msg property, a parameter). Empty means the
 * fallback; anything else outside the set is a ValidationError listing the choices.
 */
export function parseChoice<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ValidationError(field, value, allowed.map((a) => `"${a}"`).join(', '));
}
