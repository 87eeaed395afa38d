import { Router } from 'express';
import { z } from 'zod';
import { addTicketSchema, pullNumberSchema, pullTextSchema, type SandboxControl } from '../../admin/sandbox-control.js';
import type { ApiRouteModule } from './api-operation.js';
import { parseInput } from './parse-input.js';

const result = z.object({ subject: z.string(), url: z.string(), webhook: z.union([z.number(), z.literal('failed'), z.literal('not sent')]) });
const statuses = { 400: 'bad body or pull request number', 401: 'missing or invalid token', 404: 'no such pull request' };

/**
 * `/api/sandbox/*` (sandbox mode only): the things to try, for
 * `npm run sandbox -- <command>`. Each changes an emulator, which then sends
 * the orchestrator the webhook the real service would.
 */
export function createSandboxRoutes(control: SandboxControl): ApiRouteModule {
  const router = Router();
  router.get('/api/sandbox/pulls', (_req, res) => {
    res.json({ pulls: control.pulls() });
  });
  router.post('/api/sandbox/tickets', async (req, res) => {
    res.status(201).json(await control.addTicket(parseInput(addTicketSchema, req.body, 'body')));
  });
  router.post('/api/sandbox/pulls/:number/comments', async (req, res) => {
    const { number } = parseInput(pullNumberSchema, req.params, 'params');
    res.status(201).json(await control.commentOnPull(number, parseInput(pullTextSchema, req.body, 'body').body));
  });
  router.post('/api/sandbox/pulls/:number/reviews', async (req, res) => {
    const { number } = parseInput(pullNumberSchema, req.params, 'params');
    res.status(201).json(await control.reviewPull(number, parseInput(pullTextSchema, req.body, 'body').body));
  });
  router.post('/api/sandbox/pulls/:number/merge', async (req, res) => {
    const { number } = parseInput(pullNumberSchema, req.params, 'params');
    res.json(await control.mergePull(number));
  });
  const params = { number: 'A pull request number of the demo repository' };
  return {
    router,
    operations: [
      { method: 'get', path: '/api/sandbox/pulls', summary: 'Sandbox mode only: the demo repository’s pull requests on the GitHub emulator', response: z.object({ pulls: z.array(z.object({ number: z.number(), title: z.string(), url: z.string(), state: z.enum(['open', 'merged', 'closed']) })) }), statuses: { 200: 'listed', 401: statuses[401] } },
      { method: 'post', path: '/api/sandbox/tickets', summary: 'Sandbox mode only: add a ticket labelled AI-Implement to the demo Linear team; Linear’s Issue webhook follows', body: addTicketSchema, response: result, statuses: { 201: 'added', 400: 'bad body', 401: statuses[401] } },
      { method: 'post', path: '/api/sandbox/pulls/:number/comments', summary: 'Sandbox mode only: comment on a demo pull request as sandbox-user (try /ai-implement …); GitHub’s issue_comment webhook follows', params, body: pullTextSchema, response: result, statuses: { 201: 'commented', ...statuses } },
      { method: 'post', path: '/api/sandbox/pulls/:number/reviews', summary: 'Sandbox mode only: a review comment requesting changes as sandbox-user; the review webhooks follow', params, body: pullTextSchema, response: result, statuses: { 201: 'reviewed', ...statuses, 409: 'the pull request is not open' } },
      { method: 'post', path: '/api/sandbox/pulls/:number/merge', summary: 'Sandbox mode only: merge a demo pull request as sandbox-user; GitHub’s pull_request closed webhook follows', params, response: result, statuses: { 200: 'merged', ...statuses, 409: 'the pull request is not open' } },
    ],
  };
}
