import type { ProgressBody, ResultBody } from '../domain/runner-protocol.js';
import { oneLine, plainLabel, sanitizeAgentText, stripTerminalCodes, type Redactor } from '../domain/sanitize-agent-text.js';

/**
 * The one layer where runner text is cleaned on the server: every body the
 * runner callbacks accept passes through here before anything is stored,
 * rendered or posted. Ticket comments (status, plan, retry limit), the
 * panels and the `/api` then all read text that is already clean: no
 * terminal codes, no control characters, no marker lookalikes, no secret the
 * registry knows or recognises by shape (`redact` is the registry's own, read
 * at each call, so a token minted after boot is covered), and no text longer
 * than its place allows — redaction runs before the cut, so a cut never
 * leaves half a secret unrecognised. Past this layer the store scrubs runs and
 * steps again as they are written (step `output` included), and the output
 * doors (`/api`, pages, the live stream, tracker and PR comments) redact once
 * more, for secrets registered after a result.
 */

/** The result schema's own caps: the runner already kept within them; cleaning never grows text past them. */
const LIMITS = { summary: 20_000, plan: 60_000, failureReason: 4_000, title: 300 } as const;

/** A runtime, model or provider name: redacted on the text as printed, then cut down to the characters ids use. */
function cleanLabel(value: string | undefined, redact: Redactor, max: number): string | undefined {
  if (value === undefined) return undefined;
  const label = plainLabel(redact(stripTerminalCodes(value)), max);
  return label === '' ? undefined : label;
}

export function cleanResultBody(body: ResultBody, redact: Redactor): ResultBody {
  const clean: ResultBody = { ...body };
  if (body.summary !== undefined) clean.summary = sanitizeAgentText(body.summary, { redact, maxChars: LIMITS.summary });
  if (body.plan !== undefined) clean.plan = sanitizeAgentText(body.plan, { redact, maxChars: LIMITS.plan });
  if (body.failureReason !== undefined) clean.failureReason = sanitizeAgentText(body.failureReason, { redact, maxChars: LIMITS.failureReason });
  if (body.failedStep !== undefined) clean.failedStep = cleanLabel(body.failedStep, redact, 200) ?? 'unknown';
  if (body.agent) {
    const model = cleanLabel(body.agent.model, redact, 200);
    const provider = cleanLabel(body.agent.provider, redact, 40);
    const fallbackFrom = (body.agent.fallbackFrom ?? []).flatMap((r) => cleanLabel(r, redact, 40) ?? []);
    clean.agent = {
      runtime: cleanLabel(body.agent.runtime, redact, 40) ?? 'unknown',
      ...(model ? { model } : {}),
      ...(provider ? { provider } : {}),
      ...(fallbackFrom.length > 0 ? { fallbackFrom } : {}),
    };
  }
  return clean;
}

/** A step title is one short line on the ticket's checklist. */
function cleanTitle(title: string, redact: Redactor): string {
  return oneLine(sanitizeAgentText(title, { redact })).slice(0, LIMITS.title);
}

export function cleanProgressBody(body: ProgressBody, redact: Redactor): ProgressBody {
  return {
    ...body,
    ...(body.plannedSteps
      ? { plannedSteps: body.plannedSteps.map((p) => ({ ...p, type: plainLabel(p.type, 100) || 'step', ...(p.title !== undefined ? { title: cleanTitle(p.title, redact) } : {}) })) }
      : {}),
    steps: body.steps.map((step) => ({
      ...step,
      type: plainLabel(step.type, 100) || 'step',
      ...(step.title !== undefined ? { title: cleanTitle(step.title, redact) } : {}),
      // The store keeps the log's tail; only escapes and secrets go here, so the panel shows the lines as printed.
      ...(step.logExcerpt !== undefined ? { logExcerpt: redact(stripTerminalCodes(step.logExcerpt)) } : {}),
    })),
  };
}
