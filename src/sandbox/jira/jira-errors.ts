import { json, type EmulatorResponse } from '../emulator-server.js';

/** Jira's error body: `{ errorMessages: [...], errors: { field: message } }`. */
export function jiraError(status: number, errorMessages: string[], errors: Record<string, string> = {}): EmulatorResponse {
  return json(status, { errorMessages, errors });
}

export const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';
