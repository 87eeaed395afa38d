/**
 * Atlassian Document Format in both directions, for the small Markdown-ish
 * dialect our comments use: paragraphs, `#` headings, `-`/`*` and `1.`
 * lists, fenced code, inline `code`, **bold**, [links](url) and bare URLs.
 * Anything richer is kept as plain text rather than guessed at.
 */

export interface AdfMark {
  type: string;
  attrs?: Record<string, unknown>;
}

export interface AdfNode {
  type: string;
  version?: number;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: AdfMark[];
  content?: AdfNode[];
}

const INLINE = /`([^`]+)`|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)|\*\*([^*]+)\*\*|(https?:\/\/[^\s)<>]+)/g;
const BULLET = /^\s*[-*]\s+(.*)$/;
const ORDERED = /^\s*\d+[.)]\s+(.*)$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const FENCE = /^```\s*([\w+-]*)\s*$/;

function text(value: string, marks?: AdfMark[]): AdfNode {
  return marks && marks.length > 0 ? { type: 'text', text: value, marks } : { type: 'text', text: value };
}

/** Inline Markdown to ADF text nodes (never empty ones: Jira rejects them). */
export function inlineToAdf(line: string): AdfNode[] {
  const nodes: AdfNode[] = [];
  let last = 0;
  for (const match of line.matchAll(INLINE)) {
    const at = match.index;
    if (at > last) nodes.push(text(line.slice(last, at)));
    const [, code, linkText, linkHref, bold, bare] = match;
    if (code !== undefined) nodes.push(text(code, [{ type: 'code' }]));
    else if (linkText !== undefined && linkHref !== undefined) nodes.push(text(linkText, [{ type: 'link', attrs: { href: linkHref } }]));
    else if (bold !== undefined) nodes.push(text(bold, [{ type: 'strong' }]));
    else if (bare !== undefined) nodes.push(text(bare, [{ type: 'link', attrs: { href: bare } }]));
    last = at + match[0].length;
  }
  if (last < line.length) nodes.push(text(line.slice(last)));
  return nodes;
}

function paragraph(lines: string[]): AdfNode {
  const content: AdfNode[] = [];
  lines.forEach((line, i) => {
    if (i > 0) content.push({ type: 'hardBreak' });
    content.push(...inlineToAdf(line));
  });
  return { type: 'paragraph', content };
}

function listItem(line: string): AdfNode {
  return { type: 'listItem', content: [paragraph([line])] };
}

export function markdownToAdf(markdown: string): AdfNode {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const blocks: AdfNode[] = [];
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length > 0) blocks.push(paragraph(pending));
    pending = [];
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      i += 1;
      while (i < lines.length && !/^```\s*$/.test(lines[i] as string)) code.push(lines[i++] as string);
      const block: AdfNode = { type: 'codeBlock', content: code.length > 0 ? [text(code.join('\n'))] : [] };
      if (fence[1]) block.attrs = { language: fence[1] };
      blocks.push(block);
      continue;
    }
    const list = BULLET.test(line) ? BULLET : ORDERED.test(line) ? ORDERED : undefined;
    if (list) {
      flush();
      const items: AdfNode[] = [];
      while (i < lines.length && list.test(lines[i] as string)) items.push(listItem((list.exec(lines[i++] as string) as RegExpExecArray)[1] as string));
      i -= 1;
      blocks.push({ type: list === BULLET ? 'bulletList' : 'orderedList', content: items });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ type: 'heading', attrs: { level: (heading[1] as string).length }, content: inlineToAdf(heading[2] as string) });
    } else if (line.trim() === '') {
      flush();
    } else {
      pending.push(line);
    }
  }
  flush();
  return { type: 'doc', version: 1, content: blocks };
}

function inlineText(node: AdfNode): string {
  if (node.type === 'text') {
    const value = node.text ?? '';
    const link = node.marks?.find((m) => m.type === 'link');
    const href = typeof link?.attrs?.href === 'string' ? link.attrs.href : undefined;
    if (href) return href === value ? href : `[${value}](${href})`;
    return node.marks?.some((m) => m.type === 'code') ? `\`${value}\`` : value;
  }
  if (node.type === 'hardBreak') return '\n';
  if (node.type === 'mention' || node.type === 'emoji' || node.type === 'status') {
    return String(node.attrs?.text ?? node.attrs?.shortName ?? '');
  }
  if (node.type === 'inlineCard') return String(node.attrs?.url ?? '');
  return (node.content ?? []).map(inlineText).join('');
}

function blockText(node: AdfNode): string {
  switch (node.type) {
    case 'bulletList':
    case 'orderedList':
      return (node.content ?? [])
        .map((item, i) => {
          const [first = '', ...rest] = (item.content ?? []).map(blockText);
          // Nested blocks of an item (a sub-list, say) are indented under it.
          const nested = rest.map((part) => part.replace(/^/gm, '  '));
          return [`${node.type === 'bulletList' ? '- ' : `${i + 1}. `}${first}`, ...nested].join('\n');
        })
        .join('\n');
    case 'codeBlock':
      return `\`\`\`\n${(node.content ?? []).map((c) => c.text ?? '').join('')}\n\`\`\``;
    case 'heading':
      return `${'#'.repeat(Number(node.attrs?.level ?? 1))} ${inlineText(node)}`;
    case 'rule':
      return '---';
    case 'paragraph':
      return inlineText(node);
    default:
      // Containers (panels, quotes, tables...) hold blocks; anything else is inline.
      if (node.content?.some((c) => c.type === 'paragraph' || c.type.endsWith('List') || c.type === 'codeBlock')) {
        return node.content.map(blockText).join('\n\n');
      }
      return inlineText(node);
  }
}

/** ADF to readable text that keeps Markdown's shape (lists, code, links). */
export function adfToText(doc: AdfNode | null | undefined): string {
  if (!doc) return '';
  if (doc.type !== 'doc') return blockText(doc);
  return (doc.content ?? []).map(blockText).join('\n\n');
}
