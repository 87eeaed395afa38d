import { upgradeLegacyRun } from '../../domain/legacy-run-names.js';
import type { HotDoc, HotPort } from './hot-doc.js';

/**
 * Rewrites the live runs of a hot document written before issue 19 renamed
 * the run statuses and trigger sources (see `domain/legacy-run-names.ts`),
 * and saves it once when anything changed. Finished runs in the history
 * files are upgraded as they are read (`upgradeLegacyRun` in `runs-repo.ts`);
 * a status or source filter over those old files still matches the old names.
 */
export async function migrateLegacyRunNames(doc: HotDoc, hot: HotPort): Promise<number> {
  let changed = 0;
  for (const [id, run] of Object.entries(doc.runs)) {
    const upgraded = upgradeLegacyRun(run);
    if (upgraded === run) continue;
    doc.runs[id] = upgraded;
    changed += 1;
  }
  if (changed > 0) await hot.save(doc);
  return changed;
}
