import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPinnedPackages } from './agents-manifest.js';

/** What the registry knows of one package: every published version and the dist-tags. */
export interface RegistryInfo {
  versions: string[];
  distTags: Record<string, string>;
}

export type ViewPackage = (name: string) => Promise<RegistryInfo>;

export interface OutdatedRow {
  package: string;
  pinned: string;
  /** Newest stable release with the pin's major version (Node stays on its LTS line this way). */
  newestSameMajor?: string;
  latest?: string;
  status: string;
}

/** One row per pinned package (and Cursor's pin), newest versions first asked of the registry. */
export async function listOutdatedAgents(manifestDir: string, view: ViewPackage = viewWithNpm): Promise<OutdatedRow[]> {
  const pins = await readPinnedPackages(manifestDir);
  const rows = await Promise.all(
    Object.entries(pins).map(async ([name, pinned]): Promise<OutdatedRow> => {
      let info: RegistryInfo;
      try {
        info = await view(name);
      } catch (error) {
        return { package: name, pinned, status: `registry did not answer: ${(error as Error).message.split('\n')[0]}` };
      }
      const stable = info.versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v));
      const newestSameMajor = stable.filter((v) => major(v) === major(pinned)).sort(compareVersions).at(-1);
      const latest = info.distTags.latest;
      const notes: string[] = [];
      if (newestSameMajor && compareVersions(newestSameMajor, pinned) > 0) notes.push(`newer: ${newestSameMajor}`);
      if (latest && major(latest) > major(pinned)) notes.push(`new major: ${latest}`);
      return { package: name, pinned, ...(newestSameMajor ? { newestSameMajor } : {}), ...(latest ? { latest } : {}), status: notes.join('; ') || 'up to date' };
    }),
  );
  const cursor = JSON.parse(await readFile(join(manifestDir, 'cursor.json'), 'utf8')) as { version: string };
  rows.push({ package: 'cursor-agent (cursor.json)', pinned: cursor.version, status: 'not on npm: compare with the version https://cursor.com/install downloads' });
  return rows;
}

export function formatOutdatedTable(rows: readonly OutdatedRow[]): string {
  const header = ['package', 'pinned', 'newest same major', 'latest', 'status'];
  const cells = rows.map((r) => [r.package, r.pinned, r.newestSameMajor ?? '-', r.latest ?? '-', r.status]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  return [header, ...cells].map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

function major(version: string): number {
  return Number(version.split('.')[0]);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** `npm view NAME versions dist-tags --json`, through the npm client and its configured registry. */
function viewWithNpm(name: string): Promise<RegistryInfo> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['view', name, 'versions', 'dist-tags', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(stderr.trim() || `npm view exited ${code}`));
      try {
        const json = JSON.parse(stdout) as { versions?: string[] | string; 'dist-tags'?: Record<string, string> };
        const versions = json.versions === undefined ? [] : [json.versions].flat();
        resolve({ versions, distTags: json['dist-tags'] ?? {} });
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
