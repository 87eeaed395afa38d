export { createLinearTracker, type LinearTrackerOptions } from './create-linear-tracker.js';
export { DEFAULT_LINEAR_LABELS, type LinearLabelNames } from './linear-work-item.js';
export { pickWorkflowState, type TeamWorkflowState } from './pick-workflow-state.js';
export { linearIssueIdOf, linearWebhookSchema, type LinearWebhook } from './linear-webhook.js';
export { checkLinearKey, type LinearKeyCheck } from './check-linear-key.js';
