import type { Tone } from '../format.js';

/** A number card at the top of a panel. */
export interface Kpi {
  label: string;
  value: string | number;
  hint?: string;
  tone?: Tone;
}

/** An empty table says why it is empty and what to do about it. */
export interface EmptyState {
  title: string;
  next: string;
  href?: string;
  linkText?: string;
}
