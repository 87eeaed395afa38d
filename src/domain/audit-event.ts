/** Who changed what, for operator-visible changes (mappings, settings, runs). */
export interface AuditEvent {
  at: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}
