import { GraphQLError } from 'graphql';

/**
 * Argument readers and errors shared by the emulator's resolvers. Errors use
 * Linear's `extensions` (`type: 'invalid input'`, `userError`), which is
 * how @linear/sdk picks its error class.
 */

export type Args = Record<string, unknown>;

export function notFound(entity: string): GraphQLError {
  return new GraphQLError(`Entity not found: ${entity}`, {
    extensions: { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: `Could not find referenced ${entity}.` },
  });
}

export function invalidInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: message } });
}

/** Linear's answer when an argument fails its declared format (a malformed id, say). */
export function argumentValidationError(message: string): GraphQLError {
  return new GraphQLError('Argument Validation Error', {
    extensions: { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: message },
  });
}

export function text(args: Args, key: string): string {
  const value = args[key];
  if (typeof value !== 'string' || value === '') throw invalidInput(`Argument "${key}" is required.`);
  return value;
}

export function input(args: Args): Args {
  const value = args.input;
  if (typeof value !== 'object' || value === null) throw invalidInput('Argument "input" is required.');
  return value as Args;
}
