/**
 * `npm run setup`: creates the GitHub App from app.yml (GitHub's manifest
 * flow), connects Linear and Jira, checks each credential, and writes .env.
 * Everything it asks can also be given as a flag: `npm run setup -- --help`.
 */
import { readFileSync } from 'node:fs';
import { runSetup } from '../src/setup/run-setup.js';

runSetup({
  argv: process.argv.slice(2),
  env: process.env,
  input: process.stdin,
  output: process.stdout,
  cwd: process.cwd(),
  appYml: readFileSync(new URL('../app.yml', import.meta.url), 'utf8'),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`setup: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
