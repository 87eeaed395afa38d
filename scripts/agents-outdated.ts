// `npm run agents:outdated`: the pinned agent CLIs next to the newest versions
// the registry has. Reports only; updating a pin is an edit of
// runner/agents/package.json followed by `npm run agents:install`.
import { fileURLToPath } from 'node:url';
import { formatOutdatedTable, listOutdatedAgents } from '../src/runner/agents/list-outdated-agents.js';

const manifestDir = fileURLToPath(new URL('../runner/agents/', import.meta.url));
process.stdout.write(`${formatOutdatedTable(await listOutdatedAgents(manifestDir))}\n`);
