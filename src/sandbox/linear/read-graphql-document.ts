import {
  buildSchema,
  ExecutableDefinitionsRule,
  GraphQLError,
  KnownDirectivesRule,
  KnownFragmentNamesRule,
  LoneAnonymousOperationRule,
  NoFragmentCyclesRule,
  NoUndefinedVariablesRule,
  NoUnusedFragmentsRule,
  NoUnusedVariablesRule,
  parse,
  UniqueArgumentNamesRule,
  UniqueDirectivesPerLocationRule,
  UniqueFragmentNamesRule,
  UniqueInputFieldNamesRule,
  UniqueOperationNamesRule,
  UniqueVariableNamesRule,
  validate,
  type DocumentNode,
} from 'graphql';

/**
 * Parses a request document with graphql-js and applies the validation rules
 * that need no schema. The emulator has no copy of Linear's schema, so rules
 * about types and fields are out of reach; these are the ones Linear would
 * also fail a document on (an unused variable or fragment, an unknown
 * fragment, two anonymous operations, …), so a document the emulator accepts
 * is not one Linear would reject for its shape alone.
 */

export type ReadDocumentResult =
  | { ok: true; document: DocumentNode }
  | { ok: false; code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'; errors: readonly GraphQLError[] };

const DOCUMENT_RULES = [
  ExecutableDefinitionsRule,
  UniqueOperationNamesRule,
  LoneAnonymousOperationRule,
  UniqueFragmentNamesRule,
  KnownFragmentNamesRule,
  NoUnusedFragmentsRule,
  NoFragmentCyclesRule,
  UniqueVariableNamesRule,
  NoUndefinedVariablesRule,
  NoUnusedVariablesRule,
  KnownDirectivesRule,
  UniqueDirectivesPerLocationRule,
  UniqueArgumentNamesRule,
  UniqueInputFieldNamesRule,
];

// `validate` insists on a valid schema even when every rule ignores it; this
// one only supplies the built-in directives KnownDirectivesRule checks against.
const PLACEHOLDER_SCHEMA = buildSchema('type Query { _placeholder: Boolean }');

export function readGraphqlDocument(source: string): ReadDocumentResult {
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    if (error instanceof GraphQLError) return { ok: false, code: 'GRAPHQL_PARSE_FAILED', errors: [error] };
    throw error;
  }
  const errors = validate(PLACEHOLDER_SCHEMA, document, DOCUMENT_RULES);
  return errors.length > 0 ? { ok: false, code: 'GRAPHQL_VALIDATION_FAILED', errors } : { ok: true, document };
}
