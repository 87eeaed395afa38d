/**
 * Linear's filter language over plain "filter views" of entities: a view is an
 * object of scalars, nested views (to-one relations, possibly `null`) and
 * arrays of views (collections such as `labels`). Supports comparators
 * (`eq`, `neq`, `in`, `nin`, `lt`, `lte`, `gt`, `gte`, `null`, `contains`,
 * `containsIgnoreCase`, `startsWith`, `endsWith`, `eqIgnoreCase`), `and`/`or`
 * at every level, and `some`/`every`/`none`/`length` on collections (other
 * keys on a collection mean `some`, as Linear does).
 */

export type FilterView = { [field: string]: unknown };

const COMPARATORS = new Set([
  'eq',
  'neq',
  'in',
  'nin',
  'lt',
  'lte',
  'gt',
  'gte',
  'null',
  'contains',
  'notContains',
  'containsIgnoreCase',
  'notContainsIgnoreCase',
  'startsWith',
  'notStartsWith',
  'endsWith',
  'notEndsWith',
  'eqIgnoreCase',
  'neqIgnoreCase',
]);

export class LinearFilterError extends Error {}

export function matchesFilter(view: FilterView, filter: unknown): boolean {
  if (filter === null || filter === undefined) return true;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw new LinearFilterError('Filter must be an object');
  for (const [key, sub] of Object.entries(filter as Record<string, unknown>)) {
    if (sub === undefined || sub === null) continue;
    if (key === 'and') {
      if (!asList(sub).every((f) => matchesFilter(view, f))) return false;
    } else if (key === 'or') {
      const list = asList(sub);
      if (list.length > 0 && !list.some((f) => matchesFilter(view, f))) return false;
    } else if (!(key in view)) {
      throw new LinearFilterError(`Field "${key}" is not defined by this filter type.`);
    } else if (!matchesField(view[key], sub as Record<string, unknown>)) {
      return false;
    }
  }
  return true;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function isComparatorObject(filter: Record<string, unknown>): boolean {
  const keys = Object.keys(filter);
  return keys.length > 0 && keys.every((k) => COMPARATORS.has(k));
}

function matchesField(value: unknown, filter: Record<string, unknown>): boolean {
  if (Array.isArray(value)) return matchesCollection(value as FilterView[], filter);
  const isRelation = value === null ? !isComparatorObject(filter) || Object.keys(filter).every((k) => k === 'null') : typeof value === 'object';
  if (isRelation) {
    const { null: wantsNull, ...rest } = filter;
    if (wantsNull === true && value !== null) return false;
    if (wantsNull === false && value === null) return false;
    if (Object.keys(rest).length === 0) return true;
    if (value === null) return false;
    return matchesFilter(value as FilterView, rest);
  }
  return matchesComparators(value, filter);
}

function matchesCollection(items: FilterView[], filter: Record<string, unknown>): boolean {
  const { some, every, none, length, ...rest } = filter;
  if (some !== undefined && some !== null && !items.some((item) => matchesFilter(item, some))) return false;
  if (every !== undefined && every !== null && !items.every((item) => matchesFilter(item, every))) return false;
  if (none !== undefined && none !== null && items.some((item) => matchesFilter(item, none))) return false;
  if (length !== undefined && length !== null && !matchesComparators(items.length, length as Record<string, unknown>)) return false;
  if (Object.keys(rest).length > 0 && !items.some((item) => matchesFilter(item, rest))) return false;
  return true;
}

function comparable(value: unknown): unknown {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return Date.parse(value);
  return value;
}

function matchesComparators(value: unknown, filter: Record<string, unknown>): boolean {
  for (const [op, expected] of Object.entries(filter)) {
    if (expected === undefined) continue;
    if (!COMPARATORS.has(op)) throw new LinearFilterError(`Unknown comparator "${op}".`);
    if (!compare(op, value, expected)) return false;
  }
  return true;
}

function compare(op: string, value: unknown, expected: unknown): boolean {
  const text = typeof value === 'string' ? value : '';
  const needle = typeof expected === 'string' ? expected : '';
  const a = comparable(value);
  const b = comparable(relativeDate(expected));
  switch (op) {
    case 'eq':
      return a === b;
    case 'neq':
      return a !== b;
    case 'in':
      return Array.isArray(expected) && expected.some((e) => comparable(e) === a);
    case 'nin':
      return Array.isArray(expected) && !expected.some((e) => comparable(e) === a);
    case 'lt':
      return value !== null && (a as number) < (b as number);
    case 'lte':
      return value !== null && (a as number) <= (b as number);
    case 'gt':
      return value !== null && (a as number) > (b as number);
    case 'gte':
      return value !== null && (a as number) >= (b as number);
    case 'null':
      return expected ? value === null || value === undefined : value !== null && value !== undefined;
    case 'contains':
      return text.includes(needle);
    case 'notContains':
      return !text.includes(needle);
    case 'containsIgnoreCase':
      return text.toLowerCase().includes(needle.toLowerCase());
    case 'notContainsIgnoreCase':
      return !text.toLowerCase().includes(needle.toLowerCase());
    case 'startsWith':
      return text.startsWith(needle);
    case 'notStartsWith':
      return !text.startsWith(needle);
    case 'endsWith':
      return text.endsWith(needle);
    case 'notEndsWith':
      return !text.endsWith(needle);
    case 'eqIgnoreCase':
      return text.toLowerCase() === needle.toLowerCase();
    case 'neqIgnoreCase':
      return text.toLowerCase() !== needle.toLowerCase();
    default:
      return false;
  }
}

/** Linear accepts ISO-8601 durations relative to now (`-P2W`, `-PT6H`) in date comparators. */
function relativeDate(expected: unknown): unknown {
  if (typeof expected !== 'string') return expected;
  const match = /^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(expected);
  if (!match || expected === 'P' || expected === '-P') return expected;
  const [, minus, w, d, h, m, s] = match;
  const ms = ((Number(w ?? 0) * 7 + Number(d ?? 0)) * 86_400 + Number(h ?? 0) * 3_600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1_000;
  return new Date(Date.now() + (minus ? -ms : ms)).toISOString();
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** Relay-style paging with the node id as cursor; Linear defaults to 50 per page. */
export function paginate<T extends { id: string }>(all: T[], args: PageArgs): Page<T> {
  let start = 0;
  let end = all.length;
  if (args.after) {
    const index = all.findIndex((item) => item.id === args.after);
    if (index < 0) throw new LinearFilterError(`Invalid cursor "${args.after}".`);
    start = index + 1;
  }
  if (args.before) {
    const index = all.findIndex((item) => item.id === args.before);
    if (index < 0) throw new LinearFilterError(`Invalid cursor "${args.before}".`);
    end = index;
  }
  let window = all.slice(start, end);
  let hasNextPage = end < all.length;
  let hasPreviousPage = start > 0;
  if (args.last !== undefined && args.last !== null && (args.first === undefined || args.first === null)) {
    hasPreviousPage = window.length > args.last || hasPreviousPage;
    window = window.slice(Math.max(0, window.length - args.last));
  } else {
    const first = Math.min(args.first ?? 50, 250);
    hasNextPage = window.length > first || hasNextPage;
    window = window.slice(0, first);
  }
  return { items: window, hasNextPage, hasPreviousPage };
}
