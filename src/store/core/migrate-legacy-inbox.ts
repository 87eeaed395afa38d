import type { HotDoc, HotPort } from './hot-doc.js';
import type { PayloadPointer } from './inbox-journal-port.js';
import type { InboxState } from './inbox-state.js';
import { compact } from './store-context.js';

/** The payload log that came before the inbox journal: read once to migrate, then deleted. */
export interface LegacyPayloads {
  read(pointer: PayloadPointer): Promise<string>;
  discard(): Promise<void>;
}

/**
 * Moves the inbox of a hot document written before the inbox journal into the
 * journal. Order: journal records durable, then the hot document without its
 * inbox, then the old payload files go. A crash in between repeats the move at
 * the next open, and repeating it is harmless (each record is a full upsert).
 */
export async function migrateLegacyInbox(doc: HotDoc, inbox: InboxState, hot: HotPort, legacy: LegacyPayloads | undefined): Promise<number> {
  const deliveries = Object.values(doc.inbox ?? {});
  if (doc.inbox === undefined) return 0;
  for (const { payloadRef, payload, ...meta } of deliveries) {
    let bytes: Buffer | undefined;
    if (meta.status === 'completed') bytes = undefined;
    else if (payload !== undefined) bytes = Buffer.from(JSON.stringify(payload), 'utf8');
    else if (payloadRef && legacy) bytes = Buffer.from(await legacy.read(payloadRef), 'utf8');
    inbox.put(compact(meta), bytes);
  }
  try {
    await inbox.flush();
  } catch (error) {
    inbox.rollback();
    throw error;
  }
  inbox.settle();
  delete doc.inbox;
  await hot.save(doc);
  await legacy?.discard();
  return deliveries.length;
}
