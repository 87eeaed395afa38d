import { describe, expect, it } from 'vitest';
import { parseMapping } from '../../src/domain/mapping-schema.js';

const NOW = '2025-01-01T00:00:00.000Z';
const base = { teamKey: 'ENG', owner: 'acme', repo: 'widgets', defaultBranch: 'main' };
const PROVIDER = 'projects/123456789012/locations/global/workloadIdentityPools/github-pool/providers/github';

const problemsOf = (input: Record<string, unknown>) => {
  const parsed = parseMapping({ ...base, ...input }, NOW);
  return parsed.ok ? [] : parsed.problems;
};

describe('mapping fields for keyless cloud credentials', () => {
  it('keeps a Bedrock role and a Vertex workload identity as given', () => {
    const bedrock = parseMapping({ ...base, provider: 'bedrock', awsRegion: 'us-east-1', awsRoleArn: 'arn:aws:iam::123456789012:role/path/ai-implement', awsRoleSessionDuration: 7200 }, NOW);
    expect(bedrock.ok && bedrock.mapping).toMatchObject({ awsRoleArn: 'arn:aws:iam::123456789012:role/path/ai-implement', awsRoleSessionDuration: 7200 });
    const govCloud = parseMapping({ ...base, provider: 'bedrock', awsRegion: 'us-gov-west-1', awsRoleArn: 'arn:aws-us-gov:iam::123456789012:role/x' }, NOW);
    expect(govCloud.ok).toBe(true);
    const vertex = parseMapping(
      { ...base, provider: 'vertex', gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: 'ai@my-project.iam.gserviceaccount.com', gcpProjectId: 'my-project', vertexRegion: 'us-east5' },
      NOW,
    );
    expect(vertex.ok && vertex.mapping).toMatchObject({ gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: 'ai@my-project.iam.gserviceaccount.com', gcpProjectId: 'my-project', vertexRegion: 'us-east5' });
  });

  it('names each malformed field with the expected shape', () => {
    expect(problemsOf({ provider: 'bedrock', awsRegion: 'us-east-1', awsRoleArn: 'arn:aws:iam::12345:user/bob' })).toEqual([
      { field: 'awsRoleArn', message: 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/ai-implement-bedrock' },
    ]);
    expect(problemsOf({ provider: 'bedrock', awsRegion: 'us-east-1', awsRoleArn: 'arn:aws:iam::123456789012:role/r', awsRoleSessionDuration: 60 })[0]).toMatchObject({ field: 'awsRoleSessionDuration', message: 'must be at least 900 seconds (AWS minimum)' });
    expect(problemsOf({ provider: 'vertex', gcpWorkloadIdentityProvider: 'github-pool/github', gcpProjectId: 'my-project', vertexRegion: 'us-east5' })[0]).toMatchObject({
      field: 'gcpWorkloadIdentityProvider',
      message: 'must be a provider resource name: projects/<project number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>',
    });
    expect(problemsOf({ provider: 'vertex', gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: 'someone@gmail.com', gcpProjectId: 'my-project', vertexRegion: 'us-east5' })[0]?.field).toBe('gcpServiceAccount');
  });

  it('refuses fields of another provider and incomplete combinations', () => {
    expect(problemsOf({ provider: 'anthropic', awsRoleArn: 'arn:aws:iam::123456789012:role/r' })).toEqual([{ field: 'awsRoleArn', message: 'belongs to the bedrock provider; set provider to "bedrock" or remove it' }]);
    expect(problemsOf({ provider: 'bedrock', awsRegion: 'us-east-1', awsRoleSessionDuration: 3600 })).toEqual([{ field: 'awsRoleSessionDuration', message: 'needs awsRoleArn (it is the length of the assumed role session)' }]);
    expect(problemsOf({ provider: 'bedrock', awsRegion: 'us-east-1', gcpProjectId: 'my-project' })).toEqual([{ field: 'gcpProjectId', message: 'belongs to the vertex provider; set provider to "vertex" or remove it' }]);
    expect(problemsOf({ provider: 'vertex', gcpWorkloadIdentityProvider: PROVIDER }).map((p) => p.field)).toEqual(['gcpProjectId', 'vertexRegion']);
    expect(problemsOf({ provider: 'vertex', gcpServiceAccount: 'ai@my-project.iam.gserviceaccount.com' })).toEqual([{ field: 'gcpServiceAccount', message: 'needs gcpWorkloadIdentityProvider (the federated identity impersonates it)' }]);
  });
});
