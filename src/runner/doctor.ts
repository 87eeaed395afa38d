import { tmpdir } from 'node:os';
import { runCommand } from './run-command.js';
import { RUNTIME_TABLE, type RuntimeSpec } from './runtimes/runtime-table.js';

/**
 * `ai-implement-runner doctor`: which agent CLIs this machine can run, at
 * which version, and which credential variables each provider would find.
 * It prints variable names only; their values never enter the report.
 */

export type RuntimeStatus = 'ok' | 'not installed' | 'failed';

export interface ProviderCheck {
  provider: string;
  /** Credential variables that are set (non-empty), by name. */
  seen: string[];
  /** The first set whose every variable is set, if any. */
  completeSet?: string[];
  /** The sets the runtime accepts, for the "needs one of" hint. */
  accepts: string[][];
}

export interface RuntimeCheck {
  runtime: string;
  binary: string;
  status: RuntimeStatus;
  /** First line the CLI printed for its version. */
  version?: string;
  /** The version runner/agents pins, when the manifest is at hand. */
  pinned?: string;
  /** Why a CLI that is there did not answer. */
  detail?: string;
  providers: ProviderCheck[];
}

export interface DoctorReport {
  ok: boolean;
  runtimes: RuntimeCheck[];
}

export interface DoctorOptions {
  env: NodeJS.ProcessEnv;
  runtimes?: readonly RuntimeSpec[];
  /** Pinned versions by binary. */
  pins?: ReadonlyMap<string, string>;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const runtimes = (options.runtimes ?? RUNTIME_TABLE).filter((r): r is RuntimeSpec & { binary: string } => r.binary !== undefined);
  const probeEnv = withoutCredentials(options.env, runtimes);
  const runtimeChecks = await Promise.all(
    runtimes.map(async (spec): Promise<RuntimeCheck> => {
      const pinned = options.pins?.get(spec.binary);
      return {
        runtime: spec.id,
        binary: spec.binary,
        ...(await probeVersion(spec, probeEnv, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)),
        ...(pinned ? { pinned } : {}),
        providers: spec.providers.map((p) => checkProvider(p.provider, p.credentials, options.env)),
      };
    }),
  );
  return { ok: runtimeChecks.some((r) => r.status === 'ok'), runtimes: runtimeChecks };
}

async function probeVersion(spec: RuntimeSpec & { binary: string }, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Pick<RuntimeCheck, 'status' | 'version' | 'detail'>> {
  // runCommand closes stdin and kills the whole process group on timeout: a CLI that
  // waits for a login or a TTY cannot hang the doctor.
  const result = await runCommand(spec.binary, [...spec.versionArgs], { cwd: tmpdir(), env, timeoutMs });
  const firstLine = (text: string): string | undefined => text.split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 120);
  if (result.exitCode === 127 && !result.timedOut) return { status: 'not installed' };
  if (result.timedOut) return { status: 'failed', detail: `no answer to ${spec.versionArgs.join(' ')} within ${timeoutMs / 1000} s` };
  const version = firstLine(result.stdout) ?? firstLine(result.output);
  if (result.exitCode !== 0 || !version) return { status: 'failed', detail: `exit ${result.exitCode ?? result.signal}: ${firstLine(result.output) ?? 'no output'}` };
  return { status: 'ok', version };
}

function checkProvider(provider: string, accepts: readonly (readonly string[])[], env: NodeJS.ProcessEnv): ProviderCheck {
  const isSet = (name: string): boolean => (env[name] ?? '') !== '';
  const seen = [...new Set(accepts.flat())].filter(isSet);
  const complete = accepts.find((set) => set.every(isSet));
  return { provider, seen, ...(complete ? { completeSet: [...complete] } : {}), accepts: accepts.map((set) => [...set]) };
}

/** A version probe needs no credentials; a CLI that phones home on start gets none to use. */
function withoutCredentials(env: NodeJS.ProcessEnv, runtimes: readonly RuntimeSpec[]): NodeJS.ProcessEnv {
  const names = new Set(runtimes.flatMap((r) => r.providers.flatMap((p) => p.credentials.flat())));
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.has(name) && !/^AI_IMPLEMENT_.*TOKEN$/.test(name)));
}

/** Every credential value the report could possibly meet, for the output scrubber. */
export function credentialValues(env: NodeJS.ProcessEnv, runtimes: readonly RuntimeSpec[] = RUNTIME_TABLE): string[] {
  const names = new Set(runtimes.flatMap((r) => r.providers.flatMap((p) => p.credentials.flat())));
  return [...names].map((name) => env[name] ?? '').filter((value) => value !== '');
}
