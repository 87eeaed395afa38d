import { spawn } from 'node:child_process';

/** Runs the npm on PATH in `cwd`, passing its output to `log` line by line; throws when it fails. */
export async function runNpm(args: readonly string[], cwd: string, log: (line: string) => void): Promise<void> {
  const result = await new Promise<{ code: number | null; text: string }>((done, fail) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, text }));
  });
  for (const line of result.text.split('\n')) if (line.trim()) log(`npm: ${line}`);
  if (result.code !== 0) throw new Error(`npm ${args.join(' ')} failed in ${cwd} (exit ${result.code})`);
}
