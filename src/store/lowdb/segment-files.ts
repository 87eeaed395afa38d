import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { AtomicJsonFile } from './atomic-json-file.js';

export const MANIFEST_VERSION = 1;
/** Beside a stream's history files; deleting it makes the next open rebuild it from the files. */
export const INDEX_DIR_NAME = 'index';

interface Manifest<H> {
  version: typeof MANIFEST_VERSION;
  /** Sealed history files, oldest first: the manifest is what says a file's index is complete. */
  segments: H[];
}

const sidecarName = (file: number) => `${String(file).padStart(6, '0')}.idx`;

/**
 * The files of one stream's on-disk index (`history/<stream>/index/`): the
 * manifest (`H`: what it keeps per sealed file) and one sidecar per sealed
 * history file (`V`: a sidecar parsed), with a small cache of sidecars read
 * recently. A sidecar is written (temp, fdatasync, rename) before the manifest
 * that names it, and the manifest's rename and directory fsync make both
 * durable, so a crash leaves either the old manifest or the new one.
 */
export class SegmentFiles<H, V> {
  private readonly manifest: AtomicJsonFile<Manifest<H>>;
  private readonly cache = new Map<number, Promise<V>>();

  constructor(
    readonly dir: string,
    private readonly parse: (bytes: Buffer, file: number) => V,
    /** Sidecars kept in memory (a few hundred KiB each). */
    private readonly cacheSize = 8,
  ) {
    this.manifest = new AtomicJsonFile<Manifest<H>>(path.join(dir, 'manifest.json'));
  }

  /** Undefined when there is no manifest yet: a data directory from before the on-disk index. */
  async readManifest(): Promise<H[] | undefined> {
    await mkdir(this.dir, { recursive: true });
    const manifest = await this.manifest.read();
    if (!manifest) return undefined;
    if (manifest.version !== MANIFEST_VERSION) throw new Error(`${this.dir}/manifest.json has version ${String(manifest.version)}; this build reads ${MANIFEST_VERSION}`);
    return manifest.segments;
  }

  writeManifest(segments: readonly H[]): Promise<void> {
    return this.manifest.write({ version: MANIFEST_VERSION, segments: [...segments] });
  }

  async writeSidecar(file: number, bytes: Buffer): Promise<void> {
    const target = path.join(this.dir, sidecarName(file));
    const temp = `${target}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    this.cache.delete(file);
  }

  /** A sidecar, from the cache when it was read recently. */
  view(file: number): Promise<V> {
    let view = this.cache.get(file);
    if (view) {
      this.cache.delete(file);
    } else {
      view = readFile(path.join(this.dir, sidecarName(file))).then((bytes) => this.parse(bytes, file));
      view.catch(() => this.cache.delete(file));
    }
    this.cache.set(file, view);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  /** A sidecar just written is likely read soon (its runs are the newest history). */
  remember(file: number, view: V): void {
    this.cache.set(file, Promise.resolve(view));
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Part of a sidecar (e.g. its Bloom filter) without the rest of it. */
  async readPart(file: number, at: number, length: number): Promise<Uint8Array> {
    const handle = await open(path.join(this.dir, sidecarName(file)), 'r');
    try {
      const bytes = new Uint8Array(length);
      const { bytesRead } = await handle.read(bytes, 0, length, at);
      if (bytesRead !== length) throw new Error(`history index ${path.join(this.dir, sidecarName(file))} is truncated`);
      return bytes;
    } finally {
      await handle.close();
    }
  }

  forget(): void {
    this.cache.clear();
  }
}
