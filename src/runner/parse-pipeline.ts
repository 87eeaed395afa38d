import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { pipelineSchema, type Pipeline } from './pipeline-schema.js';

/** A pipeline file that cannot be used; the message starts with `file:line:column` so editors jump to it. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}:${column ?? 1}` : ''}: ${detail}`);
  }
}

type PathKey = string | number | symbol;

/** Finds the source offset of the deepest YAML node on `path` (or of the offending key), for error positions. */
function offsetOf(doc: Document, path: readonly PathKey[], key?: string): number | undefined {
  const keys = path.filter((k): k is string | number => typeof k !== 'symbol');
  for (let depth = keys.length; depth >= 0; depth--) {
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(keys.slice(0, depth), true);
    if (!isNode(node)) continue;
    if (key !== undefined && depth === keys.length && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
      if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
    }
    if (node.range) return node.range[0];
  }
  return undefined;
}

/**
 * Parses and validates one pipeline file. `knownSteps`, when given, is the set
 * of step module ids in effect, so a typo in `uses:` fails here with its line
 * rather than halfway through a run.
 */
export function parsePipeline(file: string, text: string, knownSteps?: ReadonlySet<string>): Pipeline {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new PipelineError(file, pos?.line, pos?.col, `malformed YAML: ${first.message.split('\n')[0]}`);
  }
  const fail = (path: readonly PathKey[], detail: string, key?: string): never => {
    const offset = offsetOf(doc, path, key);
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    throw new PipelineError(file, pos?.line, pos?.col, detail);
  };
  const parsed = pipelineSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return fail(issue.path, `${where}${issue.message}`, unknownKey);
  }
  if (knownSteps) {
    parsed.data.steps.forEach((step, index) => {
      if (!knownSteps.has(step.uses)) {
        fail(['steps', index, 'uses'], `unknown step "${step.uses}" (known: ${[...knownSteps].sort().join(', ')})`);
      }
    });
  }
  return parsed.data;
}
