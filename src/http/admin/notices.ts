/**
 * Messages shown after a redirect. The URL carries only a code and a short
 * subject, so a crafted link cannot put arbitrary sentences on the page.
 */
const NOTICES: Record<string, (subject: string) => string> = {
  'project-created': (s) => `Project ${s} was created. Its tickets are picked up on the next poll.`,
  paused: (s) => `Project ${s} is paused: no new runs start until you resume it.`,
  resumed: (s) => `Project ${s} is resumed.`,
  'cap-saved': (s) => `The concurrency cap of ${s} is saved.`,
  synced: (s) => `Workflow templates were synced to ${s}.`,
  'session-destroyed': (s) => `The machine was destroyed${s ? ` and ${s} was reset` : ''}.`,
  'runner-mode': (s) => `Runner mode is now ${s}.`,
  'runner-mode-locked': (s) => `Runner mode ${s} is saved, but RUNNER_MODE is set in the environment and wins until it is removed and the process restarts.`,
  'settings-saved': () => 'Settings are saved. Values that differ from the running process apply after a restart.',
  'secret-set': (s) => `Secret ${s} is set.`,
  'secret-deleted': (s) => `Secret ${s} is deleted.`,
  'dedup-cleared': (s) => `${s} left the dedup window; the next poll may pick it up again.`,
  'run-stopped': () => 'The run was stopped and marked failed ("Stopped via admin").',
  'run-restarted': () => 'The run’s job was restarted; its runner reports again with the same run tokens.',
  'run-retried': (s) => `This is a new run, started by retrying run ${s}.`,
  'run-started': (s) => `Run started for ${s}.`,
  'run-reassigned': (s) => `The run now belongs to ${s}.`,
  'ticket-resumed': (s) => `${s} is resumed: the pause is off and the next poll may start it.`,
  'run-deleted': (s) => `Run ${s} and its report were deleted.`,
  'schedule-created': (s) => `Schedule ${s} is created.`,
  'schedule-enabled': (s) => `Schedule ${s} is enabled; it fires next at the time shown.`,
  'schedule-disabled': (s) => `Schedule ${s} is disabled: it does not fire until you enable it.`,
  'schedule-deleted': (s) => `Schedule ${s} is deleted; the tickets and runs it made stay.`,
  'schedule-fired': (s) => `Schedule ${s} fired; its last outcome says what happened.`,
  'logged-out': () => 'You are logged out.',
  'sandbox-ticket': (s) => `${s} was added in the Linear emulator, which sent its webhook; its run shows under Running jobs in a moment.`,
  'sandbox-comment': (s) => `You commented on ${s}; GitHub's issue_comment webhook went to the orchestrator.`,
  'sandbox-review': (s) => `You requested changes on ${s}; a review-feedback run follows once the reviewer pauses.`,
  'sandbox-merge': (s) => `${s} was merged; the orchestrator marks its ticket done.`,
};

export function noticeText(code: unknown, subject: unknown): string | undefined {
  if (typeof code !== 'string') return undefined;
  const format = NOTICES[code];
  if (!format) return undefined;
  const safeSubject = typeof subject === 'string' ? subject.slice(0, 120) : '';
  return format(safeSubject);
}

export function noticeQuery(code: keyof typeof NOTICES | string, subject = ''): string {
  const params = new URLSearchParams({ notice: code });
  if (subject) params.set('subject', subject);
  return params.toString();
}
