import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProjectCommand {
  /** Shown in logs and handed to the agent with failures. */
  label: string;
  command: string;
  args: string[];
}

interface PackageJson {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function readPackageJson(dir: string): Promise<PackageJson | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    // No package.json, or one that does not parse: either way there is no Node project to drive.
    return undefined;
  }
}

function nodePackageManager(dir: string): 'pnpm' | 'yarn' | 'npm' {
  if (existsSync(join(dir, 'pnpm-lock.yaml'))) return 'pnpm';
  if (existsSync(join(dir, 'yarn.lock'))) return 'yarn';
  return 'npm';
}

function command(label: string): ProjectCommand {
  const [head, ...args] = label.split(' ');
  return { label, command: head!, args };
}

/** Install commands for every ecosystem found by lockfile or manifest; empty when there is nothing to install. */
export async function detectInstallCommands(dir: string): Promise<ProjectCommand[]> {
  const out: ProjectCommand[] = [];
  const has = (name: string): boolean => existsSync(join(dir, name));
  const pkg = await readPackageJson(dir);
  if (has('pnpm-lock.yaml')) out.push(command('pnpm install --frozen-lockfile'));
  else if (has('yarn.lock')) out.push(command('yarn install --frozen-lockfile'));
  else if (has('package-lock.json') || has('npm-shrinkwrap.json')) out.push(command('npm ci'));
  else if (pkg && Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).length > 0) out.push(command('npm install'));
  if (has('requirements.txt')) out.push(command('pip install -r requirements.txt'));
  else if (has('pyproject.toml')) out.push(command('pip install .'));
  if (has('go.mod')) out.push(command('go mod download'));
  if (has('Cargo.toml')) out.push(command('cargo fetch'));
  return out;
}

/** npm's placeholder `test` script fails on purpose; running it would report a failure the repo never had. */
const NPM_PLACEHOLDER = /no test specified/;

/** The repository's own checks: package.json lint and test scripts, go test, cargo test, pytest. */
export async function detectVerifyCommands(dir: string): Promise<ProjectCommand[]> {
  const out: ProjectCommand[] = [];
  const pkg = await readPackageJson(dir);
  const manager = nodePackageManager(dir);
  for (const script of ['lint', 'test']) {
    const body = pkg?.scripts?.[script];
    if (body && !NPM_PLACEHOLDER.test(body)) out.push(command(`${manager} run ${script}`));
  }
  if (existsSync(join(dir, 'go.mod'))) out.push(command('go test ./...'));
  if (existsSync(join(dir, 'Cargo.toml'))) out.push(command('cargo test'));
  if (['pytest.ini', 'conftest.py', 'tox.ini'].some((f) => existsSync(join(dir, f))) || existsSync(join(dir, 'tests', 'conftest.py'))) {
    out.push(command('python -m pytest -q'));
  }
  return out;
}
