import { z } from 'zod';

/**
 * The "things to try" of sandbox mode: what a person would do in Linear and
 * on GitHub, done on the emulators, which then send the webhooks the real
 * services would. The panels' sandbox card, `/api/sandbox/*` and
 * `npm run sandbox -- <command>` all call this; outside sandbox mode it is
 * absent and those doors answer 404.
 */
export interface SandboxControl {
  /** A new ticket in the demo Linear team, labelled AI-Implement. */
  addTicket(input: AddTicketInput): Promise<SandboxActionResult>;
  /** A comment on a demo pull request's conversation, e.g. `/ai-implement add tests`. */
  commentOnPull(number: number, body: string): Promise<SandboxActionResult>;
  /** A review comment that requests changes on a demo pull request. */
  reviewPull(number: number, body: string): Promise<SandboxActionResult>;
  /** The merge button of a demo pull request. */
  mergePull(number: number): Promise<SandboxActionResult>;
  /** The demo repository's pull requests, newest first. */
  pulls(): SandboxPull[];
}

export interface SandboxActionResult {
  /** What was made or changed, in words: `DEMO-4`, `demo-org/demo-app#5`. */
  subject: string;
  /** Its page on the emulator. */
  url: string;
  /** The orchestrator's answer to the emulator's webhook. */
  webhook: number | 'failed' | 'not sent';
}

export interface SandboxPull {
  number: number;
  title: string;
  url: string;
  state: 'open' | 'merged' | 'closed';
}

export const addTicketSchema = z.object({
  title: z.string().trim().min(1, 'title is required').max(200, 'title is at most 200 characters'),
  description: z.string().trim().max(10_000, 'description is at most 10000 characters').optional(),
});
export type AddTicketInput = z.infer<typeof addTicketSchema>;

export const pullTextSchema = z.object({ body: z.string().trim().min(1, 'body is required').max(10_000, 'body is at most 10000 characters') });
export const pullNumberSchema = z.object({ number: z.coerce.number().int('number must be a pull request number').positive('number must be a pull request number') });
