export { JiraEmulator, type JiraEmulatorOptions } from './jira-emulator.js';
export {
  AI_STATUS_OPTIONS,
  JiraStore,
  textToAdf,
  type AdfNode,
  type CustomFieldType,
  type IssueSeed,
  type JiraComment,
  type JiraCustomField,
  type JiraFieldOption,
  type JiraIssue,
  type JiraProject,
  type JiraSite,
  type JiraStatus,
  type JiraTransition,
  type JiraUser,
  type StatusCategoryKey,
} from './jira-state.js';
export { adfText, jiraDate } from './jira-format.js';
export { JqlSyntaxError, parseJql, type JqlNode, type JqlOperand, type JqlQuery } from './jql-parser.js';
export { buildIssueUpdatedWebhook, signJiraWebhook, type JiraChangelogItem, type JiraWebhookDelivery } from './jira-webhook.js';
