export type ReaperMode = 'dry-run' | 'destroyed';

/** One decision of the reaper about a leftover machine, kept for the panel. */
export interface ReaperAction {
  at: string;
  rule: string;
  machineId: string;
  tenant: string;
  issue: string;
  ageSeconds: number;
  mode: ReaperMode;
}
