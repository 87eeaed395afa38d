import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { AtomicJsonFile } from './atomic-json-file.js';
import { BloomFilter } from './bloom-filter.js';
import { SidecarView, type SegmentHeader } from './run-sidecar.js';

export const MANIFEST_VERSION = 1;

interface Manifest {
  version: typeof MANIFEST_VERSION;
  /** Sealed history files, oldest first: the manifest is what says a file's index is complete. */
  segments: SegmentHeader[];
}

const sidecarName = (file: number) => `${String(file).padStart(6, '0')}.idx`;

/**
 * The files of the on-disk run index (`history/runs/index/`): the manifest and
 * one sidecar per sealed history file, with a small cache of sidecars read
 * recently. A sidecar is written (temp, fdatasync, rename) before the manifest
 * that names it, and the manifest's rename and directory fsync make both
 * durable, so a crash leaves either the old manifest or the new one.
 */
export class SegmentFiles {
  private readonly manifest: AtomicJsonFile<Manifest>;
  private readonly cache = new Map<number, Promise<SidecarView>>();

  constructor(
    readonly dir: string,
    /** Sidecars kept in memory (a few hundred KiB each). */
    private readonly cacheSize = 8,
  ) {
    this.manifest = new AtomicJsonFile<Manifest>(path.join(dir, 'manifest.json'));
  }

  /** Undefined when there is no manifest yet: a data directory from before the on-disk index. */
  async readManifest(): Promise<SegmentHeader[] | undefined> {
    await mkdir(this.dir, { recursive: true });
    const manifest = await this.manifest.read();
    if (!manifest) return undefined;
    if (manifest.version !== MANIFEST_VERSION) throw new Error(`${this.dir}/manifest.json has version ${String(manifest.version)}; this build reads ${MANIFEST_VERSION}`);
    return manifest.segments;
  }

  writeManifest(segments: readonly SegmentHeader[]): Promise<void> {
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
  view(file: number): Promise<SidecarView> {
    let view = this.cache.get(file);
    if (view) {
      this.cache.delete(file);
    } else {
      view = readFile(path.join(this.dir, sidecarName(file))).then((bytes) => SidecarView.parse(bytes, file));
      view.catch(() => this.cache.delete(file));
    }
    this.cache.set(file, view);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  /** A sidecar just written is likely read soon (its runs are the newest history). */
  remember(view: SidecarView): void {
    this.cache.set(view.header.file, Promise.resolve(view));
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Only the Bloom filter of a sidecar, without the rest of it. */
  async readBloom(header: SegmentHeader): Promise<BloomFilter> {
    const handle = await open(path.join(this.dir, sidecarName(header.file)), 'r');
    try {
      const bytes = new Uint8Array(header.bloomBytes);
      const { bytesRead } = await handle.read(bytes, 0, header.bloomBytes, header.bloomAt);
      if (bytesRead !== header.bloomBytes) throw new Error(`history index of file ${header.file} is truncated`);
      return BloomFilter.fromBytes(bytes);
    } finally {
      await handle.close();
    }
  }

  forget(): void {
    this.cache.clear();
  }
}
