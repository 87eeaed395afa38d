import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { fsyncDir } from './fsync-dir.js';

/**
 * A lowdb adapter that makes every write durable before it resolves: write a
 * temp file, fsync it, rename it over the target, fsync the directory. A crash
 * at any point leaves either the old or the new document, never a mix.
 * (lowdb's own JSONFile renames but never fsyncs.)
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  private readonly tempFile: string;

  constructor(private readonly file: string) {
    this.tempFile = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    const handle = await open(this.tempFile, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(data)}\n`, 'utf8');
      // datasync is enough: the size is flushed with the data, and the
      // rename plus directory fsync below make the name durable.
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(this.tempFile, this.file);
    await fsyncDir(path.dirname(this.file));
  }
}
