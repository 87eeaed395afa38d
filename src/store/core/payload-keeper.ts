import type { HotDoc, PayloadPointer, PayloadPort } from './hot-doc.js';

/** Payloads up to this size stay cached after they are durable, to spare a read at lease time. */
const CACHE_ENTRY_MAX_CHARS = 64 * 1024;
const DEFAULT_CACHE_CHARS = 16 * 1024 * 1024;

/**
 * The engine's side of the payload log: which files live pointers refer to
 * (so unreferenced files can be deleted) and a small cache of payload text by
 * delivery id. A payload is cached from the moment it is staged until its
 * append is durable, whatever its size, so a delivery leased in the same
 * commit that enqueued it still finds its payload.
 */
export class PayloadKeeper {
  private readonly refs = new Map<number, number>();
  /** Insertion order is age order: the oldest entries are evicted first. */
  private readonly cache = new Map<string, { text: string; durable: boolean }>();
  private cachedChars = 0;
  private reclaimDue = false;
  private released: PayloadPointer[] = [];
  private reclaiming: Promise<number> | undefined;

  constructor(
    readonly port: PayloadPort,
    private readonly cacheChars = DEFAULT_CACHE_CHARS,
  ) {}

  /** Counts the pointers of a freshly loaded (or reloaded) hot document. */
  rebuild(doc: HotDoc): void {
    this.refs.clear();
    this.released = [];
    for (const d of Object.values(doc.inbox)) if (d.payloadRef) this.retain(d.payloadRef);
    for (const id of this.cache.keys()) if (!doc.inbox[id]?.payloadRef) this.forget(id);
    this.reclaimDue = true;
  }

  stage(id: string, text: string): void {
    this.forget(id);
    this.cache.set(id, { text, durable: false });
    this.cachedChars += text.length;
  }

  /** The staged payload of `id` is durable at `pointer`. */
  stored(id: string, pointer: PayloadPointer): void {
    this.retain(pointer);
    const entry = this.cache.get(id);
    if (!entry) return;
    if (entry.text.length > CACHE_ENTRY_MAX_CHARS) this.forget(id);
    else entry.durable = true;
    this.evict();
  }

  /**
   * The delivery no longer needs its payload. The file's count drops only in
   * `settle`, once the hot document without the pointer is durable, so a
   * reclaim can never delete bytes the durable document still points to.
   */
  release(id: string, pointer: PayloadPointer | undefined): void {
    this.forget(id);
    if (pointer) this.released.push(pointer);
  }

  /** The commit that released pointers is durable. */
  settle(): void {
    for (const pointer of this.released.splice(0)) this.drop(pointer);
  }

  private drop(pointer: PayloadPointer): void {
    const left = (this.refs.get(pointer.file) ?? 1) - 1;
    if (left > 0) {
      this.refs.set(pointer.file, left);
      return;
    }
    this.refs.delete(pointer.file);
    if (pointer.file !== this.port.activeFile) this.reclaimDue = true;
  }

  async read(id: string, pointer: PayloadPointer | undefined): Promise<string | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached.text;
    return pointer ? this.port.read(pointer) : undefined;
  }

  /** True when a file may have become unreferenced, or the log moved on to a new file. */
  get mayReclaim(): boolean {
    return this.reclaimDue || this.port.activeFile !== this.lastActiveFile;
  }

  private lastActiveFile = -1;

  /** Call only once the hot document that dropped the pointers is durable. */
  reclaim(): Promise<number> {
    // One at a time: a purge and the commit queue may both ask.
    this.reclaiming ??= this.reclaimOnce().finally(() => (this.reclaiming = undefined));
    return this.reclaiming;
  }

  private async reclaimOnce(): Promise<number> {
    const active = this.port.activeFile;
    this.reclaimDue = false;
    try {
      return await this.port.reclaim((file) => (this.refs.get(file) ?? 0) > 0);
    } catch (error) {
      this.reclaimDue = true;
      throw error;
    }
    finally {
      this.lastActiveFile = active;
    }
  }

  private retain(pointer: PayloadPointer): void {
    this.refs.set(pointer.file, (this.refs.get(pointer.file) ?? 0) + 1);
  }

  private forget(id: string): void {
    const entry = this.cache.get(id);
    if (!entry) return;
    this.cache.delete(id);
    this.cachedChars -= entry.text.length;
  }

  private evict(): void {
    for (const [id, entry] of this.cache) {
      if (this.cachedChars <= this.cacheChars) return;
      if (entry.durable) this.forget(id);
    }
  }
}
