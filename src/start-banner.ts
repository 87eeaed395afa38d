/**
 * What a person needs once the server is up, printed as the last thing the
 * boot does: where the admin is, how to get in, where the data lives, and
 * what to try next. Everything else (emulator URLs, versions) is in the log.
 */
export interface StartBannerInput {
  adminUrl: string;
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  sandbox: boolean;
  /** Shown in sandbox mode only (the code is made up at each start, or is the operator's own for a local trial). */
  accessCode: string | undefined;
  /** Whether the access code was generated for this start (sandbox mode without ADMIN_ACCESS_CODE). */
  accessCodeGenerated: boolean;
  version: string;
}

export function startBanner(input: StartBannerInput): string {
  const rows: [string, string][] = [['Admin', input.adminUrl]];
  if (input.sandbox && input.accessCode) rows.push(['Access code', input.accessCodeGenerated ? `${input.accessCode}  (new at each start; set ADMIN_ACCESS_CODE to keep one)` : input.accessCode]);
  else if (!input.accessCode) rows.push(['Access code', 'none: /admin and /api are off until ADMIN_ACCESS_CODE is set']);
  else rows.push(['Access code', 'the ADMIN_ACCESS_CODE you set']);
  rows.push(['Data', input.dataDir]);
  const next = input.sandbox
    ? ['open the Admin URL and log in: the demo tickets become pull requests under Work within a minute.', 'To connect a real GitHub App, set APP_ID and PRIVATE_KEY (see README.md).']
    : ['open the Admin URL, log in and add a project under Projects (or POST /api/mappings).'];
  rows.push(['Next', next[0]!], ...next.slice(1).map((line): [string, string] => ['', line]));
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const title = input.sandbox
    ? `AI-Implement ${input.version} is running in SANDBOX mode: loopback emulators stand in for GitHub, Linear, Jira and Fly.`
    : `AI-Implement ${input.version} is running.`;
  return [title, ...rows.map(([label, value]) => `  ${(label ? `${label}:` : '').padEnd(width)}${value}`)].join('\n');
}
