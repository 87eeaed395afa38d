import { z } from 'zod';

/** The fallback owner when neither the ticket nor the operator names one (`RUN_OWNER_FALLBACK` overrides it). */
export const DEFAULT_RUN_OWNER_FALLBACK = 'ai-implement@localhost';

/**
 * An owner is an email address, compared as written lower-case. Loose on
 * purpose (one `@`, no spaces, at most 254 characters): trackers hand us
 * addresses, we only need one that reads as one and matches itself.
 */
export const ownerEmailSchema = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address, e.g. "ann@example.com"')
  .transform((v) => v.toLowerCase());

/** A tracker's assignee email as an owner; undefined when it is missing, hidden or not an address. */
export function ownerFromAssignee(email: string | null | undefined): string | undefined {
  const parsed = ownerEmailSchema.safeParse(email ?? '');
  return parsed.success ? parsed.data : undefined;
}

export interface RunOwner {
  owner: string;
  /** True when nobody was named and the system fallback stands in. */
  ownerFallback: boolean;
}

/** Who owns a new run: the operator's choice, else the ticket assignee, else the fallback. */
export function chooseRunOwner(named: string | undefined, assigneeEmail: string | undefined, fallback: string): RunOwner {
  const owner = ownerFromAssignee(named) ?? ownerFromAssignee(assigneeEmail);
  return owner ? { owner, ownerFallback: false } : { owner: fallback, ownerFallback: true };
}
