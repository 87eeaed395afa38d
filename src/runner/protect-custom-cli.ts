import { disallowedCustomChanges } from './protect-custom.js';

/** Reads changed paths (one per line) on stdin; exits 1 naming each path under custom/ a PR may not change. */
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const bad = disallowedCustomChanges(Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line.trim() !== ''));
if (bad.length > 0) {
  process.stderr.write(`custom/ is reserved for operators; this pull request may not change:\n${bad.map((p) => `  ${p}`).join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('no protected custom/ files changed\n');
}
