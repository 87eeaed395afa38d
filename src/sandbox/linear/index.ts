export { stripHtmlComments } from './linear-comment-mutations.js';
export { LinearEmulator, type LinearEmulatorOptions, type LinearOperationRecord } from './linear-emulator.js';
export {
  DEFAULT_WORKFLOW,
  LinearStore,
  type IssueSeed,
  type LinearComment,
  type LinearIssue,
  type LinearIssueRelation,
  type LinearLabel,
  type LinearProject,
  type LinearRelationType,
  type LinearStateType,
  type LinearTeam,
  type LinearUser,
  type LinearWorkflowState,
  type LinearWorkspace,
  type StateSeed,
} from './linear-state.js';
export { buildLinearWebhook, signLinearWebhook, type LinearWebhookDelivery } from './linear-webhook.js';
