import { Version3Client } from 'jira.js';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { invalidAnswer, toTrackerError } from './jira-errors.js';

/**
 * What the Projects panel asks Jira while an operator writes a mapping: does
 * this JQL parse, which fields exist, which options a select field offers.
 * Kept apart from the IssueTracker, which only the run loop uses.
 */
export interface JiraAdmin {
  validateJql(jql: string): Promise<JqlValidation>;
  listFields(): Promise<JiraFieldInfo[]>;
  /** Options of a select field across its contexts; NotFoundError for an unknown field, ValidationError for a non-select one. */
  fieldOptions(fieldId: string): Promise<JiraFieldOption[]>;
}

export interface JqlValidation {
  valid: boolean;
  errors: string[];
  warnings: string[];
}

export interface JiraFieldInfo {
  id: string;
  name: string;
  custom: boolean;
  /** Jira's schema type (`string`, `option`, `array`...), when it has one. */
  type?: string;
  /** Names the field goes by in JQL. */
  clauseNames: string[];
}

export interface JiraFieldOption {
  id: string;
  value: string;
  disabled: boolean;
}

export interface JiraAdminOptions {
  host: string;
  email: string;
  apiToken: string;
  now?: () => number;
}

const parseAnswer = z.object({
  queries: z.array(z.object({ query: z.string().optional(), errors: z.array(z.string()).optional(), warnings: z.array(z.string()).optional() })),
});
const fieldList = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    custom: z.boolean().optional(),
    clauseNames: z.array(z.string()).optional(),
    schema: z.object({ type: z.string().nullish(), custom: z.string().nullish() }).nullish(),
  }),
);
const page = <T extends z.ZodType>(value: T) => z.object({ values: z.array(value).optional(), isLast: z.boolean().optional(), total: z.number().optional() });
const contextPage = page(z.object({ id: z.union([z.string(), z.number()]).transform(String) }));
const optionPage = page(z.object({ id: z.union([z.string(), z.number()]).transform(String), value: z.string(), disabled: z.boolean().optional() }));

const PAGE_SIZE = 100;
/** Bounds a misbehaving server's paging; real select fields have far fewer options. */
const MAX_PAGES = 50;

export function createJiraAdmin(options: JiraAdminOptions): JiraAdmin {
  const client = new Version3Client({ host: options.host, authentication: { basic: { email: options.email, apiToken: options.apiToken } } });
  const now = options.now ?? Date.now;

  async function call<T>(send: () => Promise<unknown>, schema: z.ZodType<T>): Promise<T> {
    let data: unknown;
    try {
      data = await send();
    } catch (error) {
      throw toTrackerError(error, now);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw invalidAnswer('an admin request', parsed.error);
    return parsed.data;
  }

  const listFields = async (): Promise<JiraFieldInfo[]> => {
    const fields = await call(() => client.issueFields.getFields(), fieldList);
    return fields.map((f) => ({
      id: f.id,
      name: f.name,
      custom: f.custom ?? f.id.startsWith('customfield_'),
      ...(f.schema?.type ? { type: f.schema.type } : {}),
      clauseNames: f.clauseNames ?? [],
    }));
  };

  return {
    async validateJql(jql) {
      const answer = await call(() => client.jql.parseJqlQueries({ queries: [jql], validation: 'strict' }), parseAnswer);
      const result = answer.queries[0];
      const errors = result?.errors ?? (result ? [] : ['Jira returned no result for the query']);
      return { valid: errors.length === 0, errors, warnings: result?.warnings ?? [] };
    },

    listFields,

    async fieldOptions(fieldId) {
      const field = (await listFields()).find((f) => f.id === fieldId);
      if (!field) throw new NotFoundError(`Jira has no field ${fieldId}`);
      if (!field.custom || (field.type !== 'option' && field.type !== 'array')) {
        throw new ValidationError(`Jira field ${fieldId} (${field.name}) is not a select field, so it has no options`, 'fieldId');
      }
      const contexts = await collect((startAt) => call(() => client.issueCustomFieldContexts.getContextsForField({ fieldId, startAt, maxResults: PAGE_SIZE }), contextPage));
      const byId = new Map<string, JiraFieldOption>();
      for (const context of contexts) {
        const options = await collect((startAt) =>
          call(() => client.issueCustomFieldOptions.getOptionsForContext({ fieldId, contextId: Number(context.id), startAt, maxResults: PAGE_SIZE }), optionPage),
        );
        // One option can be shared by several contexts; list it once.
        for (const o of options) if (!byId.has(o.id)) byId.set(o.id, { id: o.id, value: o.value, disabled: o.disabled ?? false });
      }
      return [...byId.values()];
    },
  };
}

async function collect<T>(fetchPage: (startAt: number) => Promise<{ values?: T[] | undefined; isLast?: boolean | undefined; total?: number | undefined }>): Promise<T[]> {
  const all: T[] = [];
  for (let i = 0; i < MAX_PAGES; i++) {
    const { values = [], isLast, total } = await fetchPage(all.length);
    all.push(...values);
    if (values.length === 0 || isLast === true || (total !== undefined && all.length >= total)) break;
  }
  return all;
}
