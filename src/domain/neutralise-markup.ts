/**
 * Text from outside (ticket titles and descriptions, agent output) must never
 * become one of our hidden markers: webhooks trust `<!-- ai-implement:… -->`
 * comments to find a PR's run and ticket, and `ensure…` writes find their
 * comment by one. Breaking the HTML comment delimiters is enough — a marker
 * is only read between `<!--` and `-->` — and the backslash escapes keep the
 * text readable: Markdown renders `<\!--` as `<!--`, but never as a comment.
 */
export function neutraliseHiddenMarkup(text: string): string {
  return text.replace(/<!--/g, '<\\!--').replace(/--!?>/g, (end) => `${end.slice(0, -1)}\\>`);
}
