import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressBodySchema, resultBodySchema, type JobSpec, type ProgressBody, type ResultBody } from '../../src/domain/runner-protocol.js';
import { runJob, type JobChannel } from '../../src/runner/run-job.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';
import { defaultRunnerRoots } from '../../src/runner/runner-roots.js';
import { AwsStsEmulator, GoogleStsEmulator } from '../../src/sandbox/cloud/index.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { createBareRepo } from './support/git-fixtures.js';
import { makeJobSpec } from './support/job-spec.js';
import { OrchestratorServer } from './support/orchestrator-server.js';
import { cleanEnv, REPO_ROOT, runCli } from './support/run-cli.js';

const ROLE = 'arn:aws:iam::123456789012:role/ai-implement-bedrock';
const OTHER_ROLE = 'arn:aws:iam::123456789012:role/other-repo-only';
const PICKY_ROLE = 'arn:aws:iam::123456789012:role/custom-audience';
const SHORT_ROLE = 'arn:aws:iam::123456789012:role/one-hour-sessions';
const PROVIDER = 'projects/123456789012/locations/global/workloadIdentityPools/github-pool/providers/github';
const PICKY_PROVIDER = 'projects/123456789012/locations/global/workloadIdentityPools/github-pool/providers/picky';
const SERVICE_ACCOUNT = 'ai-implement@vertex-project.iam.gserviceaccount.com';
const LOCKED_ACCOUNT = 'locked@vertex-project.iam.gserviceaccount.com';

/** An in-memory JobChannel that validates with the protocol schemas, as the server does. */
class RecordingChannel implements JobChannel {
  readonly progress: ProgressBody[] = [];
  readonly results: ResultBody[] = [];
  constructor(private readonly job: JobSpec) {}
  async getJob() {
    return this.job;
  }
  async postProgress(body: ProgressBody) {
    this.progress.push(progressBodySchema.parse(body));
    return true;
  }
  async postResult(body: ResultBody) {
    this.results.push(resultBodySchema.parse(body));
  }
}

describe('keyless cloud credentials (GitHub OIDC → loopback AWS STS and Google STS)', () => {
  let root: string;
  let bin: string;
  let bare: string;
  let github: GitHubEmulator;
  let sts: AwsStsEmulator;
  let google: GoogleStsEmulator;
  let actionsEnv: Record<string, string>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cloud-creds-'));
    bare = await createBareRepo(root, { 'README.md': '# widgets\n' });
    github = new GitHubEmulator();
    await github.start();
    // The issuer's keys are found as AWS and Google find them: discovery document, then jwks_uri.
    const trust = { issuer: github.oidc.issuer };
    sts = new AwsStsEmulator({
      trust,
      roles: [
        { arn: ROLE, subjects: ['repo:acme/widgets:*'], maxSessionDuration: 43_200 },
        { arn: OTHER_ROLE, subjects: ['repo:acme/other:*'] },
        { arn: PICKY_ROLE, subjects: ['repo:acme/widgets:*'], audience: 'https://example.com/not-sts' },
        { arn: SHORT_ROLE, subjects: ['repo:acme/widgets:*'] },
      ],
    });
    await sts.start();
    google = new GoogleStsEmulator({
      providers: [
        { name: PROVIDER, trust, subjects: ['repo:acme/widgets:*'] },
        { name: PICKY_PROVIDER, trust, allowedAudiences: ['https://example.com/not-this-one'] },
      ],
      serviceAccounts: [
        { email: SERVICE_ACCOUNT, subjects: ['repo:acme/widgets:*'] },
        { email: LOCKED_ACCOUNT, subjects: ['repo:acme/other:*'] },
      ],
    });
    await google.start();
    const { requestUrl, requestToken } = github.oidc.createRequestToken({ repository: 'acme/widgets', runId: 7 });
    actionsEnv = {
      GITHUB_ACTIONS: 'true',
      ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      AI_IMPLEMENT_AWS_STS_URL: sts.url,
      AI_IMPLEMENT_GCP_STS_URL: google.tokenUrl,
      AI_IMPLEMENT_GCP_IAM_CREDENTIALS_URL: google.iamCredentialsUrl,
    };
    // A stand-in `claude` that records what it was given (outside the clone: a plan pass must not change it),
    // prints the secret key on stderr and puts the session token into its plan, so redaction is tested too.
    bin = join(root, 'bin');
    await mkdir(bin);
    const script = [
      '#!/bin/sh',
      `env > "${root}/agent-env.txt"`,
      `[ -n "$GOOGLE_APPLICATION_CREDENTIALS" ] && cp "$GOOGLE_APPLICATION_CREDENTIALS" "${root}/agent-gcp.json"`,
      'echo "agent sees key ${AWS_SECRET_ACCESS_KEY:-none}" >&2',
      'printf \'{"type":"result","subtype":"success","is_error":false,"result":"Plan for ENG-42 with session %s","total_cost_usd":0,"usage":{"input_tokens":1,"output_tokens":1}}\\n\' "${AWS_SESSION_TOKEN:-none}"',
      '',
    ].join('\n');
    await writeFile(join(bin, 'claude'), script);
    await chmod(join(bin, 'claude'), 0o755);
    await mkdir(join(root, 'custom'));
  }, 60_000);

  afterAll(async () => {
    await google?.stop();
    await sts?.stop();
    await github?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const readAgentEnv = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await readFile(join(root, 'agent-env.txt'), 'utf8'))
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );

  async function runInProcess(agent: Partial<JobSpec['agent']>, baseEnv: Record<string, string>, env: Record<string, string> = {}) {
    await rm(join(root, 'agent-env.txt'), { force: true });
    const job = makeJobSpec({
      phase: 'plan',
      pipeline: 'plan',
      repo: { cloneUrl: bare },
      agent: { runtime: 'claude-code', provider: 'bedrock', awsRegion: 'us-east-1', maxTurns: 5, maxIterations: 1, maxJobMinutes: 10, ...agent },
      env,
    });
    const channel = new RecordingChannel(job);
    const lines: string[] = [];
    const workdir = await mkdtemp(join(root, 'work-'));
    const result = await runJob({
      channel,
      roots: defaultRunnerRoots(REPO_ROOT, join(root, 'custom')),
      workdir,
      log: createRunnerLog((line) => lines.push(line)),
      baseEnv: { PATH: `${bin}:${process.env.PATH ?? ''}`, ...baseEnv },
      now: () => new Date(),
    });
    return { result, lines, channel, workdir };
  }

  describe('Bedrock through the runner CLI in GitHub Actions mode', () => {
    let orchestrator: OrchestratorServer;
    let outcome: { code: number | null; stdout: string; stderr: string };

    beforeAll(async () => {
      await rm(join(root, 'agent-env.txt'), { force: true });
      const job = makeJobSpec({
        runId: 'run_bedrock',
        phase: 'plan',
        pipeline: 'plan',
        repo: { cloneUrl: bare },
        agent: { runtime: 'claude-code', provider: 'bedrock', awsRegion: 'eu-west-1', awsRoleArn: ROLE, maxTurns: 5, maxIterations: 1, maxJobMinutes: 120 },
      });
      orchestrator = new OrchestratorServer({ job, progressToken: 'progress-token-cloud-1', resultToken: 'result-token-cloud-1' });
      await orchestrator.start();
      outcome = await runCli(
        cleanEnv({
          ...actionsEnv,
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          AI_IMPLEMENT_URL: orchestrator.url,
          AI_IMPLEMENT_RUN_ID: job.runId,
          AI_IMPLEMENT_PROGRESS_TOKEN: 'progress-token-cloud-1',
          AI_IMPLEMENT_RESULT_TOKEN: 'result-token-cloud-1',
          AI_IMPLEMENT_WORKDIR: join(root, 'cli-work'),
          AI_IMPLEMENT_CUSTOM_DIR: join(root, 'custom'),
        }),
      );
    }, 120_000);

    afterAll(async () => orchestrator?.stop());

    it('assumes the role with a GitHub id token for sts.amazonaws.com, for the job’s length, and succeeds', () => {
      expect(outcome.code, outcome.stderr).toBe(0);
      const calls = sts.server.requestsTo('POST', '/');
      expect(calls).toHaveLength(1);
      const form = calls[0]!.body as Record<string, string>;
      expect(form).toMatchObject({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE, RoleSessionName: 'ai-implement-run_bedrock', DurationSeconds: String(120 * 60 + 300) });
      const claims = JSON.parse(Buffer.from(form.WebIdentityToken!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims).toMatchObject({ aud: 'sts.amazonaws.com', iss: github.oidc.issuer, repository: 'acme/widgets' });
      expect(orchestrator.results[0]).toMatchObject({ outcome: 'succeeded' });
    });

    it('hands the agent the issued credentials and the region, with Bedrock switched on', async () => {
      const issued = sts.issued.find((c) => c.sessionName === 'ai-implement-run_bedrock')!;
      const env = await readAgentEnv();
      expect(env).toMatchObject({
        AWS_ACCESS_KEY_ID: issued.accessKeyId,
        AWS_SECRET_ACCESS_KEY: issued.secretAccessKey,
        AWS_SESSION_TOKEN: issued.sessionToken,
        AWS_REGION: 'eu-west-1',
        CLAUDE_CODE_USE_BEDROCK: '1',
      });
      // The runner's own GitHub request credentials never reach the agent.
      expect(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN).toBeUndefined();
    });

    it('never prints or posts a credential: log, progress, result', () => {
      const issued = sts.issued.find((c) => c.sessionName === 'ai-implement-run_bedrock')!;
      const posted = JSON.stringify(orchestrator.requests);
      const everything = outcome.stdout + outcome.stderr + posted;
      for (const secret of [issued.secretAccessKey, issued.sessionToken, issued.accessKeyId, actionsEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN!]) expect(everything).not.toContain(secret);
      // The agent did print them (stderr, its plan): they arrive scrubbed.
      expect(outcome.stderr).toContain('agent sees key ***');
      expect(orchestrator.results[0]!.plan).toBe('Plan for ENG-42 with session ***');
    });
  });

  describe('refusals reach the result with the cloud’s reason', () => {
    it('a trust policy for another repository: AccessDenied, before any step runs', async () => {
      const { result, channel } = await runInProcess({ awsRoleArn: OTHER_ROLE }, actionsEnv);
      expect(result).toMatchObject({ outcome: 'failed', failedStep: 'setup' });
      expect(result.failureReason).toContain(`AWS STS refused to assume ${OTHER_ROLE}: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`);
      expect(channel.progress).toEqual([]);
    });

    it('a role that trusts another audience: InvalidIdentityToken', async () => {
      const { result } = await runInProcess({ awsRoleArn: PICKY_ROLE }, actionsEnv);
      expect(result.failureReason).toContain('InvalidIdentityToken: Incorrect token audience');
    });

    it('a day-long job asks for 12 h, the AWS maximum', async () => {
      const before = sts.server.requests.length;
      const { result } = await runInProcess({ awsRoleArn: ROLE, maxJobMinutes: 24 * 60 }, actionsEnv);
      expect(result.outcome, result.failureReason).toBe('succeeded');
      expect(sts.server.requests.slice(before).map((r) => (r.body as Record<string, string>).DurationSeconds)).toEqual(['43200']);
    });

    it('a role whose maximum session is shorter than the job: one hour, with a warning', async () => {
      const before = sts.server.requests.length;
      const { result, lines } = await runInProcess({ awsRoleArn: SHORT_ROLE, maxJobMinutes: 90 }, actionsEnv);
      expect(result.outcome, result.failureReason).toBe('succeeded');
      expect(sts.server.requests.slice(before).map((r) => [(r.body as Record<string, string>).DurationSeconds, r.outcome])).toEqual([
        ['5700', 400],
        ['3600', 200],
      ]);
      expect(lines.join('\n')).toContain('the role refused a session as long as the job; taking one hour');
    });

    it('an explicit awsRoleSessionDuration the role refuses fails with STS’s ValidationError', async () => {
      const { result } = await runInProcess({ awsRoleArn: SHORT_ROLE, awsRoleSessionDuration: 7200 }, actionsEnv);
      expect(result.failureReason).toContain('ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    });
  });

  describe('Vertex through workload identity federation', () => {
    it('exchanges the token, impersonates the service account and hands the agent an external_account file that works', async () => {
      const before = google.issued.length;
      const { result, lines, workdir } = await runInProcess(
        { provider: 'vertex', awsRegion: undefined, gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: SERVICE_ACCOUNT, gcpProjectId: 'vertex-project', vertexRegion: 'us-east5' },
        actionsEnv,
      );
      expect(result.outcome, result.failureReason).toBe('succeeded');
      const exchange = google.server.requestsTo('POST', '/v1/token')[0]!.body as Record<string, string>;
      expect(exchange).toMatchObject({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: `//iam.googleapis.com/${PROVIDER}`,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      });
      const claims = JSON.parse(Buffer.from(exchange.subject_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims.aud).toBe(`https://iam.googleapis.com/${PROVIDER}`);
      expect(google.issued.slice(before).map((t) => t.kind)).toEqual(['federated', 'service-account']);

      const env = await readAgentEnv();
      expect(env).toMatchObject({ CLAUDE_CODE_USE_VERTEX: '1', ANTHROPIC_VERTEX_PROJECT_ID: 'vertex-project', CLOUD_ML_REGION: 'us-east5', GOOGLE_CLOUD_PROJECT: 'vertex-project', GOOGLE_CLOUD_LOCATION: 'us-east5' });
      expect(env.GOOGLE_APPLICATION_CREDENTIALS).toBe(join(workdir, 'cloud', 'gcp-external-account.json'));
      const config = JSON.parse(await readFile(join(root, 'agent-gcp.json'), 'utf8')) as Record<string, any>;
      expect(config).toEqual({
        type: 'external_account',
        audience: `//iam.googleapis.com/${PROVIDER}`,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: google.tokenUrl,
        service_account_impersonation_url: `${google.iamCredentialsUrl}/v1/projects/-/serviceAccounts/${encodeURIComponent(SERVICE_ACCOUNT)}:generateAccessToken`,
        credential_source: { file: join(workdir, 'cloud', 'github-oidc-token'), format: { type: 'text' } },
      });

      // Follow the file as Application Default Credentials do: the token file, the exchange, the impersonation.
      const subjectToken = await readFile(config.credential_source.file, 'utf8');
      const sts1 = await fetch(config.token_url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', audience: config.audience, scope: 'https://www.googleapis.com/auth/cloud-platform', requested_token_type: 'urn:ietf:params:oauth:token-type:access_token', subject_token_type: config.subject_token_type, subject_token: subjectToken }),
      });
      expect(sts1.status).toBe(200);
      const federated = ((await sts1.json()) as { access_token: string }).access_token;
      const sa = await fetch(config.service_account_impersonation_url, { method: 'POST', headers: { authorization: `Bearer ${federated}`, 'content-type': 'application/json' }, body: JSON.stringify({ scope: ['https://www.googleapis.com/auth/cloud-platform'] }) });
      expect(sa.status).toBe(200);
      expect(((await sa.json()) as { accessToken: string }).accessToken).toMatch(/^ya29\./);

      // Every token the runner saw is scrubbed from its log.
      const log = lines.join('\n');
      for (const issued of google.issued.slice(before, before + 2)) expect(log).not.toContain(issued.token);
      expect(log).not.toContain(subjectToken.slice(0, 40));
    });

    it('a provider that expects another audience refuses the exchange, and the run says why', async () => {
      const { result } = await runInProcess({ provider: 'vertex', awsRegion: undefined, gcpWorkloadIdentityProvider: PICKY_PROVIDER, gcpProjectId: 'vertex-project', vertexRegion: 'us-east5' }, actionsEnv);
      expect(result).toMatchObject({ outcome: 'failed', failedStep: 'setup' });
      expect(result.failureReason).toContain(`Google STS token exchange for ${PICKY_PROVIDER} was refused: invalid_grant: The audience in ID Token [https://iam.googleapis.com/${PICKY_PROVIDER}] does not match`);
    });

    it('a service account the repository may not use: PERMISSION_DENIED', async () => {
      const { result } = await runInProcess({ provider: 'vertex', awsRegion: undefined, gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: LOCKED_ACCOUNT, gcpProjectId: 'vertex-project', vertexRegion: 'us-east5' }, actionsEnv);
      expect(result.failureReason).toContain(`Impersonating ${LOCKED_ACCOUNT} was refused: PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied`);
    });
  });

  describe('outside GitHub Actions', () => {
    it('a role-only mapping fails early with the field and what to use instead', async () => {
      const { result } = await runInProcess({ awsRoleArn: ROLE }, {});
      expect(result).toMatchObject({ outcome: 'failed', failedStep: 'setup' });
      expect(result.failureReason).toContain(`awsRoleArn is set, but this runner is not a GitHub Actions job with \`permissions: id-token: write\`, so it has no GitHub OIDC token to assume ${ROLE} with.`);
      expect(result.failureReason).toContain('store AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK) as project secrets');
    });

    it('static keys from the project’s secrets are used as they are', async () => {
      const { result } = await runInProcess({ awsRoleArn: ROLE }, {}, { AWS_ACCESS_KEY_ID: 'AKIASTATICEXAMPLE', AWS_SECRET_ACCESS_KEY: 'static-secret-access-key' });
      expect(result.outcome, result.failureReason).toBe('succeeded');
      const env = await readAgentEnv();
      expect(env).toMatchObject({ AWS_ACCESS_KEY_ID: 'AKIASTATICEXAMPLE', AWS_SECRET_ACCESS_KEY: 'static-secret-access-key', CLAUDE_CODE_USE_BEDROCK: '1' });
      expect(env.AWS_SESSION_TOKEN).toBeUndefined();
    });
  });
});
