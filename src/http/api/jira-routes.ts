import { Router } from 'express';
import { z } from 'zod';
import { AuthError } from '../../errors/index.js';
import type { JiraAdmin } from '../../trackers/jira/index.js';
import { HttpError } from '../http-error.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

export interface JiraRoutesDeps {
  /** Unset when JIRA_HOST / JIRA_EMAIL / JIRA_API_TOKEN are not all set: every route answers 503. */
  jira: JiraAdmin | undefined;
}

const validateBody = z.object({ jql: z.string().trim().min(1, 'is required').max(10_000, 'is too long') }).strict();
const optionsQuery = z.object({ fieldId: z.string({ message: 'is required' }).trim().min(1, 'is required').max(200) });

export function createJiraRoutes(deps: JiraRoutesDeps): ApiRouteModule {
  const router = Router();
  const jira = (): JiraAdmin => {
    if (!deps.jira) throw new HttpError(503, 'jira_not_configured', 'Jira is not configured: set JIRA_HOST, JIRA_EMAIL and JIRA_API_TOKEN and restart.');
    return deps.jira;
  };

  router.post('/api/jira/validate-jql', async (req, res) => {
    const { jql } = parseInput(validateBody, req.body, 'body');
    res.json(await askJira(() => jira().validateJql(jql)));
  });

  router.get('/api/jira/fields', async (_req, res) => {
    res.json({ fields: await askJira(() => jira().listFields()) });
  });

  router.get('/api/jira/field-options', async (req, res) => {
    const { fieldId } = parseInput(optionsQuery, req.query, 'query');
    res.json({ fieldId, options: await askJira(() => jira().fieldOptions(fieldId)) });
  });

  const notConfigured = 'Jira is not configured';
  return {
    router,
    operations: [
      {
        method: 'post',
        path: '/api/jira/validate-jql',
        summary: 'Validate a JQL clause with Jira’s own parser before saving a mapping',
        body: validateBody,
        response: z.object({ valid: z.boolean(), errors: z.array(z.string()), warnings: z.array(z.string()) }),
        statuses: { 200: 'parsed; `valid` says whether Jira accepted it', 400: 'jql missing', 401: 'missing or invalid token', 503: `${notConfigured}, or Jira failed` },
      },
      {
        method: 'get',
        path: '/api/jira/fields',
        summary: 'List the Jira site’s fields (custom ones flagged)',
        response: z.object({ fields: z.array(z.object({ id: z.string(), name: z.string(), custom: z.boolean(), type: z.string().optional(), clauseNames: z.array(z.string()) })) }),
        statuses: { 200: 'the fields', 401: 'missing or invalid token', 503: `${notConfigured}, or Jira failed` },
      },
      {
        method: 'get',
        path: '/api/jira/field-options',
        summary: 'List the options of a Jira select field',
        query: optionsQuery,
        response: z.object({ fieldId: z.string(), options: z.array(z.object({ id: z.string(), value: z.string(), disabled: z.boolean() })) }),
        statuses: { 200: 'the options', 400: 'fieldId missing, or not a select field', 401: 'missing or invalid token', 404: 'no such field', 503: `${notConfigured}, or Jira failed` },
      },
    ],
  };
}

/**
 * Jira refusing OUR credentials is a server-side problem; passed through as
 * AuthError it would become a 401 the operator reads as "your token is bad".
 */
async function askJira<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof AuthError) throw new HttpError(503, 'jira_unavailable', `Jira refused the configured credentials (${error.message}); check JIRA_EMAIL and JIRA_API_TOKEN.`, { 'Retry-After': '60' });
    throw error;
  }
}
