/**
 * The GraphQL documents the Linear adapter sends through
 * `client.client.rawRequest`. Hand-written rather than the SDK's generated
 * operations so each call asks for exactly the fields we map, and so a
 * mutation never triggers the SDK's lazy follow-up fetches (which would make
 * request counts unpredictable).
 *
 * Nested connections carry explicit small `first` values: Linear scores a
 * query's complexity by multiplying nested page sizes, and a 100-issue page
 * with default (50) nested pages gets close to the per-query limit.
 */

const ISSUE_FIELDS = /* GraphQL */ `
  fragment TrackerIssue on Issue {
    id
    identifier
    title
    description
    url
    createdAt
    updatedAt
    team { key }
    state { name type }
    assignee { id email }
    project { name }
    labels(first: 25) { nodes { name } }
    inverseRelations(first: 25) { nodes { type issue { id identifier state { type } } } }
  }
`;

/**
 * One page of issues for a filter: every eligible issue across the workspace
 * (scopes are matched locally), or one issue by id / team key + number.
 */
export const CANDIDATES_QUERY = /* GraphQL */ `
  query TrackerCandidates($filter: IssueFilter, $first: Int, $after: String) {
    issues(filter: $filter, first: $first, after: $after) {
      nodes { ...TrackerIssue }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${ISSUE_FIELDS}
`;

export const TEAM_QUERY = /* GraphQL */ `
  query TrackerTeam($filter: TeamFilter) {
    teams(filter: $filter, first: 1) {
      nodes { id key states(first: 100) { nodes { id name type position } } }
    }
  }
`;

export const LABELS_QUERY = /* GraphQL */ `
  query TrackerLabels($filter: IssueLabelFilter) {
    issueLabels(filter: $filter, first: 50) {
      nodes { id name team { id } }
    }
  }
`;

export const LABEL_CREATE_MUTATION = /* GraphQL */ `
  mutation TrackerLabelCreate($input: IssueLabelCreateInput!) {
    issueLabelCreate(input: $input) { success issueLabel { id name } }
  }
`;

export const ADD_LABEL_MUTATION = /* GraphQL */ `
  mutation TrackerAddLabel($id: String!, $labelId: String!) {
    issueAddLabel(id: $id, labelId: $labelId) { success }
  }
`;

export const REMOVE_LABEL_MUTATION = /* GraphQL */ `
  mutation TrackerRemoveLabel($id: String!, $labelId: String!) {
    issueRemoveLabel(id: $id, labelId: $labelId) { success }
  }
`;

export const ISSUE_UPDATE_MUTATION = /* GraphQL */ `
  mutation TrackerIssueUpdate($id: String!, $input: IssueUpdateInput!) {
    issueUpdate(id: $id, input: $input) { success }
  }
`;

export const COMMENTS_QUERY = /* GraphQL */ `
  query TrackerComments($filter: CommentFilter, $first: Int, $after: String) {
    comments(filter: $filter, first: $first, after: $after) {
      nodes { id body }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export const COMMENT_CREATE_MUTATION = /* GraphQL */ `
  mutation TrackerCommentCreate($input: CommentCreateInput!) {
    commentCreate(input: $input) { success comment { id } }
  }
`;

export const COMMENT_UPDATE_MUTATION = /* GraphQL */ `
  mutation TrackerCommentUpdate($id: String!, $input: CommentUpdateInput!) {
    commentUpdate(id: $id, input: $input) { success comment { id } }
  }
`;

/** A new issue (a schedule's fire), answered with the fields a WorkItem needs. */
export const ISSUE_CREATE_MUTATION = /* GraphQL */ `
  mutation TrackerIssueCreate($input: IssueCreateInput!) {
    issueCreate(input: $input) { success issue { ...TrackerIssue } }
  }
  ${ISSUE_FIELDS}
`;

export const PROJECTS_QUERY = /* GraphQL */ `
  query TrackerProjects($filter: ProjectFilter) {
    projects(filter: $filter, first: 5) { nodes { id name } }
  }
`;
