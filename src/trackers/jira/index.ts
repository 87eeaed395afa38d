export { createJiraTracker, type JiraTrackerOptions } from './create-jira-tracker.js';
export { JIRA_COMMENT_PROPERTY, legacyJiraCommentMarker } from './jira-ensure-comment.js';
export { adfToText, markdownToAdf, type AdfNode } from './jira-adf.js';
export { buildCandidateJql, quoteJql, splitOrderBy } from './jira-jql.js';
export { DEFAULT_JIRA_STATUS_VALUES, DEFAULT_READY_VALUE, DEFAULT_TRIGGER_VALUES, type JiraStatusValues } from './jira-work-item.js';
export { pickTransition, isAtTarget } from './pick-transition.js';
export { REPO_FIELD_NAME, resolveFieldIds, STATUS_FIELD_NAME } from './resolve-field-ids.js';
export { createJiraAdmin, type JiraAdmin, type JiraAdminOptions, type JiraFieldInfo, type JiraFieldOption, type JqlValidation } from './jira-admin.js';
export { jiraIssueKeyOf, jiraWebhookSchema, type JiraWebhook } from './jira-webhook.js';
