import type { EmulatorResponse } from './emulator-server.js';

/**
 * The emulators' human pages (a PR, a ticket) are built from text anyone can
 * write (ticket titles, PR bodies, comments), so every value goes in through
 * `html` tagged templates, which escape it unless it is markup this module made.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map((p: Part) => render(p)).join('');
  return escapeHtml(String(part));
}

/** `html\`<p>${text}</p>\``: interpolated values are escaped; nested `html` results and arrays of them are kept. */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

const STYLE = `
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 24px;font-weight:600}
header small{font-weight:400;opacity:.75;margin-left:8px}
main{max-width:980px;margin:0 auto;padding:16px 24px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;margin:12px 0}
.badge{display:inline-block;border-radius:2em;padding:2px 10px;font-size:12px;font-weight:600;color:#fff;background:#1f883d}
.badge.merged{background:#8250df}.badge.closed{background:#cf222e}.badge.muted{background:#6e7781}
.muted{color:#59636e}pre{white-space:pre-wrap;word-break:break-word;margin:0}
.diff{font:12px/1.45 ui-monospace,monospace;background:#fff;overflow-x:auto}
.diff .add{background:#dafbe1}.diff .del{background:#ffebe9}.diff .hunk{color:#0969da}.diff .file{font-weight:700;background:#f6f8fa}
textarea{width:100%;min-height:70px;box-sizing:border-box;font:inherit}
button{font:inherit;padding:4px 12px;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f883d;color:#fff;border-color:#1a7f37}
nav a{margin-right:12px}
`;

/** A whole page: the emulator's name in the header (so nobody mistakes it for the real site), then the body. */
export function htmlPage(site: string, title: string, body: SafeHtml, status = 200): EmulatorResponse {
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${new SafeHtml(STYLE)}</style></head>
<body><header>${site}<small>sandbox emulator</small></header><main>${body}</main></body></html>`;
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // Inline style only; no script runs on these pages, whatever a ticket says.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
      'x-content-type-options': 'nosniff',
    },
    body: page.value,
  };
}

/** Where a form post lands afterwards: back on the page, as a browser expects (303 See Other). */
export function seeOther(location: string): EmulatorResponse {
  return { status: 303, headers: { location }, body: '' };
}

/** The string fields of a form post (`application/x-www-form-urlencoded` or JSON). */
export function formField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
