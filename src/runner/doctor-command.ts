import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAgentsManifest } from './agents/agents-manifest.js';
import { credentialValues, runDoctor, type DoctorReport, type RuntimeCheck } from './doctor.js';
import { createRunnerLog } from './runner-log.js';
import { findProjectRoot } from './runner-roots.js';

const USAGE = `Usage: ai-implement-runner doctor [--json] [--require-pinned]

Prints each agent CLI's version (or "not installed") and, per provider, which
credential variables are set (names only) and whether one set is complete.

Options:
  --json             the report as JSON
  --require-pinned   fail unless every CLI pinned in runner/agents runs at its pinned version
                     (the runner image's build check)

Exit codes: 0 at least one agent CLI works, 1 none does (or a pin is not met), 2 bad arguments.`;

const NOT_READY = 'No agent CLI answered its version command. Install the pinned CLIs with `npm run agents:install` and put the bin directory it prints first on PATH, or run the runner image.';

/** `ai-implement-runner doctor`; `write` receives the whole report, already scrubbed of credential values. */
export async function runDoctorCommand(argv: string[], env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<number> {
  let json = false;
  let requirePinned = false;
  try {
    const options = { json: { type: 'boolean' }, 'require-pinned': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
    const { values } = parseArgs({ args: argv, options, strict: true });
    if (values.help) {
      write(USAGE);
      return 0;
    }
    json = values.json ?? false;
    requirePinned = values['require-pinned'] ?? false;
  } catch (error) {
    write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const pins = await readPins();
  const report = await runDoctor({ env, pins });
  const unmet = requirePinned ? unmetPins(report, pins) : [];
  const message = !report.ok ? NOT_READY : unmet.length > 0 ? `Not at their pinned versions: ${unmet.join(', ')}` : undefined;
  // Nothing below prints a value, but a CLI's version line is outside our control: scrub it all.
  const out = createRunnerLog(write);
  for (const value of credentialValues(env)) out.addSecret(value);
  out.raw(json ? JSON.stringify({ ...report, ...(message ? { message } : {}) }, null, 2) : [formatDoctorReport(report), ...(unmet.length > 0 ? [message] : [])].join('\n'));
  return message ? 1 : 0;
}

/** Commands the manifest pins that do not run, or run at another version; without a manifest nothing can be shown to meet its pin. */
function unmetPins(report: DoctorReport, pins: ReadonlyMap<string, string>): string[] {
  if (pins.size === 0) return ['(runner/agents not found)'];
  return [...pins].filter(([binary, version]) => {
    const check = report.runtimes.find((r) => r.binary === binary);
    return !check || check.status !== 'ok' || !check.version?.includes(version);
  }).map(([binary]) => binary);
}

/** Pinned versions by command, from runner/agents; a custom image without the manifest still gets a report. */
async function readPins(): Promise<Map<string, string>> {
  try {
    const manifest = await readAgentsManifest(join(findProjectRoot(), 'runner', 'agents'));
    return new Map([...manifest.agents.map((a): [string, string] => [a.binary, a.version]), ['cursor-agent', manifest.cursor.version]]);
  } catch {
    // No manifest (or not for this platform): versions are reported without a pin to compare with.
    return new Map();
  }
}

export function formatDoctorReport(report: DoctorReport): string {
  const agentRows = report.runtimes.map((r) => [r.runtime, r.binary, r.version ?? '-', r.pinned ?? '-', statusText(r)]);
  const credentialRows = report.runtimes.flatMap((r) =>
    r.providers.map((p) => [
      r.runtime,
      p.provider,
      p.seen.join(', ') || '-',
      p.completeSet ? `yes (${p.completeSet.join(' + ')})` : `no: needs ${p.accepts.map((set) => set.join(' + ')).join(' | ')}`,
    ]),
  );
  const ready = report.runtimes.filter((r) => r.status === 'ok').map((r) => r.binary);
  return [
    'Agent CLIs',
    table(['runtime', 'command', 'version', 'pinned', 'status'], agentRows),
    '',
    'Credentials (variable names only)',
    table(['runtime', 'provider', 'set', 'complete'], credentialRows),
    '',
    report.ok ? `${ready.length} of ${report.runtimes.length} agent CLIs work: ${ready.join(', ')}` : NOT_READY,
  ].join('\n');
}

function statusText(check: RuntimeCheck): string {
  if (check.status === 'failed') return `failed: ${check.detail ?? ''}`;
  if (check.status === 'ok' && check.pinned && !check.version?.includes(check.pinned)) return 'ok, not the pinned version';
  return check.status;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`;
  return [line(header), ...rows.map(line)].join('\n');
}
