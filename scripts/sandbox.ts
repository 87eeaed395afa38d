/**
 * `npm run sandbox -- <command>`: the sandbox's things to try from a
 * terminal, against the sandbox `npm start` is running. Each command asks the
 * orchestrator (`/api/sandbox/*`, with the access code) to change an emulator
 * as a person would; the emulator then sends the signed webhook the real
 * service sends, and the orchestrator reacts.
 *
 * The sandbox is found through DATA_DIR/sandbox-session.json (written at
 * start), or AI_IMPLEMENT_URL and ADMIN_ACCESS_CODE.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SANDBOX_SESSION_FILE } from '../src/sandbox/start-sandbox.js';

const USAGE = `usage: npm run sandbox -- <command>
  add-ticket "title" ["description"]   a Linear ticket labelled AI-Implement (a run starts)
  pulls                                the demo repository's pull requests
  comment <pr> "/ai-implement …"       comment on a PR (a gap-fill run starts)
  review <pr> "text"                   a review comment requesting changes (review feedback)
  merge <pr>                           merge a PR (its ticket moves to done)`;

interface Target {
  url: string;
  code: string;
}

function findSandbox(): Target | string {
  const envUrl = process.env['AI_IMPLEMENT_URL']?.trim();
  const envCode = process.env['ADMIN_ACCESS_CODE']?.trim();
  if (envUrl && envCode) return { url: envUrl, code: envCode };
  const file = join(resolve(process.env['DATA_DIR']?.trim() || './data'), SANDBOX_SESSION_FILE);
  if (!existsSync(file)) return `no running sandbox found (${file} is missing): start one with "npm start", or set AI_IMPLEMENT_URL and ADMIN_ACCESS_CODE`;
  const session = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown; accessCode?: unknown };
  if (typeof session.url !== 'string' || typeof session.accessCode !== 'string') return `${file} does not name a URL and an access code`;
  return { url: envUrl || session.url, code: envCode || session.accessCode };
}

async function call(target: Target, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

function pullNumber(text: string | undefined): number | undefined {
  return text && /^#?\d+$/.test(text) ? Number(text.replace('#', '')) : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const target = findSandbox();
  if (typeof target === 'string') {
    process.stderr.write(`sandbox: ${target}\n`);
    return 2;
  }
  let auth: Response;
  try {
    auth = await fetch(`${target.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: target.code }) });
  } catch {
    process.stderr.write(`sandbox: nothing answers at ${target.url}; is "npm start" still running?\n`);
    return 1;
  }
  if (!auth.ok) {
    process.stderr.write(`sandbox: ${target.url} refused the access code (${auth.status}); is it the sandbox you started?\n`);
    return 1;
  }
  const { token } = (await auth.json()) as { token: string };
  const pr = pullNumber(args[0]);
  let answer: { status: number; json: Record<string, unknown> };
  switch (command) {
    case 'add-ticket':
      if (!args[0]) break;
      answer = await call(target, token, 'POST', '/api/sandbox/tickets', { title: args[0], ...(args[1] ? { description: args[1] } : {}) });
      return report(answer, (j) => `added ${String(j.subject)}: ${String(j.url)} (webhook answered ${String(j.webhook)})`);
    case 'pulls':
      answer = await call(target, token, 'GET', '/api/sandbox/pulls');
      return report(answer, (j) => ((j.pulls as { number: number; state: string; title: string; url: string }[]).map((p) => `#${p.number} ${p.state.padEnd(6)} ${p.title}\n        ${p.url}`).join('\n') || 'no pull requests yet'));
    case 'comment':
    case 'review':
      if (pr === undefined || !args[1]) break;
      answer = await call(target, token, 'POST', `/api/sandbox/pulls/${pr}/${command === 'comment' ? 'comments' : 'reviews'}`, { body: args.slice(1).join(' ') });
      return report(answer, (j) => `${command === 'comment' ? 'commented on' : 'requested changes on'} ${String(j.subject)}: ${String(j.url)} (webhook answered ${String(j.webhook)})`);
    case 'merge':
      if (pr === undefined) break;
      answer = await call(target, token, 'POST', `/api/sandbox/pulls/${pr}/merge`);
      return report(answer, (j) => `merged ${String(j.subject)} (webhook answered ${String(j.webhook)})`);
    default:
      process.stderr.write(`sandbox: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
  process.stderr.write(`sandbox: ${command} needs more arguments\n${USAGE}\n`);
  return 2;
}

function report(answer: { status: number; json: Record<string, unknown> }, say: (json: Record<string, unknown>) => string): number {
  if (answer.status >= 400) {
    process.stderr.write(`sandbox: ${String(answer.json.message ?? `answered ${answer.status}`)}\n`);
    return 1;
  }
  process.stdout.write(`${say(answer.json)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sandbox: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
