/**
 * What a CommonMark renderer would read as prose in `markdown`: fenced blocks
 * and code spans removed, by the spec's rules (a fence of N backticks closes
 * at a line of at least N; a span of N backticks at the next run of exactly
 * N; an unmatched run is literal text). A test then asserts that hostile text
 * never reaches the prose, where it could become a link or HTML. Spans are
 * matched within one line, which only leaves more in the prose than a
 * renderer would: the check errs on the strict side.
 */
export function proseOf(markdown: string): string {
  const kept: string[] = [];
  let fence = 0;
  for (const line of markdown.split('\n')) {
    if (fence > 0) {
      const close = /^ {0,3}(`+)\s*$/.exec(line);
      if (close && close[1]!.length >= fence) fence = 0;
      continue;
    }
    const open = /^ {0,3}(`{3,})([^`]*)$/.exec(line);
    if (open) {
      fence = open[1]!.length;
      continue;
    }
    kept.push(withoutCodeSpans(line));
  }
  return kept.join('\n');
}

function withoutCodeSpans(line: string): string {
  const runs = [...line.matchAll(/`+/g)].map((m) => ({ at: m.index, length: m[0].length }));
  let out = '';
  let from = 0;
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i]!;
    if (open.at < from) continue;
    const close = runs.slice(i + 1).find((r) => r.length === open.length);
    if (!close) continue;
    out += line.slice(from, open.at);
    from = close.at + close.length;
    i = runs.indexOf(close);
  }
  return out + line.slice(from);
}
