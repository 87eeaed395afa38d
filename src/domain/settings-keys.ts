/**
 * Keys of the operator settings kept in the store (written by the admin API
 * and panels, read by the orchestrator). One list, so a reader and a writer
 * cannot drift apart on a name.
 */
export const SETTINGS = {
  runnerMode: 'runnerMode',
  flySessionsApp: 'flySessionsApp',
  flySessionsRegion: 'flySessionsRegion',
} as const;

/** The Fly app that runs sessions when neither FLY_SESSIONS_APP nor the stored setting names one. */
export const DEFAULT_FLY_SESSIONS_APP = 'ai-implement-sessions';
