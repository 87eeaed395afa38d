import type { HotDoc } from './hot-doc.js';

/**
 * JSON text of the hot document, byte-for-byte what `JSON.stringify` gives,
 * but inbox entries are serialised once each: the inbox repo replaces an
 * entry object on every change and never edits one in place, so an entry's
 * text can be kept for as long as the object lives. Under a webhook burst the
 * inbox is most of the document, and re-serialising it on every group commit
 * was the largest CPU cost of a commit.
 */
export function createHotDocSerializer(): (doc: HotDoc) => string {
  const entryText = new WeakMap<object, string>();
  return (doc) => {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(doc)) {
      if (value === undefined) continue;
      if (key !== 'inbox') {
        parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
        continue;
      }
      const entries: string[] = [];
      for (const [id, entry] of Object.entries(doc.inbox)) {
        let text = entryText.get(entry);
        if (text === undefined) entryText.set(entry, (text = JSON.stringify(entry)));
        entries.push(`${JSON.stringify(id)}:${text}`);
      }
      parts.push(`"inbox":{${entries.join(',')}}`);
    }
    return `{${parts.join(',')}}`;
  };
}
