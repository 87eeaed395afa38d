import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PayloadPointer } from '../core/inbox-journal-port.js';
import type { LegacyPayloads } from '../core/migrate-legacy-inbox.js';

/**
 * Reads `payloads/NNNNNN.log`, where inbox payloads went before the inbox
 * journal, so an old data directory can be migrated; `discard` deletes it.
 */
export function legacyPayloadLog(dir: string): LegacyPayloads {
  return {
    async read(pointer: PayloadPointer): Promise<string> {
      const handle = await open(path.join(dir, `${String(pointer.file).padStart(6, '0')}.log`), 'r');
      try {
        const buffer = Buffer.alloc(pointer.length);
        const { bytesRead } = await handle.read(buffer, 0, pointer.length, pointer.offset);
        if (bytesRead !== pointer.length) throw new Error(`legacy payload ${pointer.file}@${pointer.offset} is cut short`);
        return buffer.toString('utf8');
      } finally {
        await handle.close();
      }
    },
    discard: () => rm(dir, { recursive: true, force: true }),
  };
}
