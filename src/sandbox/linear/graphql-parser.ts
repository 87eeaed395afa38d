/**
 * A small GraphQL document parser: enough of the language to read the
 * queries @linear/sdk prints (operations with variables, nested selections,
 * aliases, arguments, fragments, inline fragments, @include/@skip) and the
 * hand-written documents our own adapter sends. Type-system definitions are
 * not supported; a sandbox never receives them.
 */

export type GqlValue =
  | { kind: 'variable'; name: string }
  | { kind: 'int' | 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'enum'; value: string }
  | { kind: 'list'; values: GqlValue[] }
  | { kind: 'object'; fields: Record<string, GqlValue> };

export interface GqlDirective {
  name: string;
  args: Record<string, GqlValue>;
}

export interface GqlField {
  kind: 'field';
  name: string;
  alias: string | undefined;
  args: Record<string, GqlValue>;
  directives: GqlDirective[];
  selections: GqlSelection[] | undefined;
}

export interface GqlFragmentSpread {
  kind: 'spread';
  name: string;
  directives: GqlDirective[];
}

export interface GqlInlineFragment {
  kind: 'inline';
  typeCondition: string | undefined;
  directives: GqlDirective[];
  selections: GqlSelection[];
}

export type GqlSelection = GqlField | GqlFragmentSpread | GqlInlineFragment;

export interface GqlOperation {
  operation: 'query' | 'mutation' | 'subscription';
  name: string | undefined;
  variableDefaults: Record<string, GqlValue>;
  selections: GqlSelection[];
}

export interface GqlFragment {
  name: string;
  typeCondition: string;
  selections: GqlSelection[];
}

export interface GqlDocument {
  operations: GqlOperation[];
  fragments: Map<string, GqlFragment>;
}

export class GraphqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`Syntax Error: ${message}`);
    this.name = 'GraphqlSyntaxError';
  }
}

type TokenKind = 'punct' | 'name' | 'int' | 'float' | 'string' | 'eof';

interface Token {
  kind: TokenKind;
  value: string;
  start: number;
}

const PUNCTUATORS = new Set(['!', '$', '&', '(', ')', ':', '=', '@', '[', ']', '{', '|', '}']);

/** Splits a document into tokens, dropping whitespace, commas and comments. */
export function tokenizeGraphql(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === ',' || ch === '\uFEFF') {
      i += 1;
    } else if (ch === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i += 1;
    } else if (source.startsWith('...', i)) {
      tokens.push({ kind: 'punct', value: '...', start: i });
      i += 3;
    } else if (PUNCTUATORS.has(ch)) {
      tokens.push({ kind: 'punct', value: ch, start: i });
      i += 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'name', value: match[0], start: i });
      i += match[0].length;
    } else if (/[-0-9]/.test(ch)) {
      const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!match) throw new GraphqlSyntaxError(`Invalid number at ${i}`, i);
      const isFloat = match[2] !== undefined || match[3] !== undefined;
      tokens.push({ kind: isFloat ? 'float' : 'int', value: match[0], start: i });
      i += match[0].length;
    } else if (source.startsWith('"""', i)) {
      const end = source.indexOf('"""', i + 3);
      if (end < 0) throw new GraphqlSyntaxError('Unterminated block string', i);
      tokens.push({ kind: 'string', value: dedentBlockString(source.slice(i + 3, end)), start: i });
      i = end + 3;
    } else if (ch === '"') {
      const { value, next } = readString(source, i);
      tokens.push({ kind: 'string', value, start: i });
      i = next;
    } else {
      throw new GraphqlSyntaxError(`Unexpected character "${ch}"`, i);
    }
  }
  tokens.push({ kind: 'eof', value: '', start: source.length });
  return tokens;
}

function readString(source: string, start: number): { value: string; next: number } {
  let out = '';
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '"') return { value: out, next: i + 1 };
    if (ch === '\n' || ch === '\r') break;
    if (ch === '\\') {
      const esc = source[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (esc === 'u') {
        out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      if (esc === undefined || simple[esc] === undefined) throw new GraphqlSyntaxError('Invalid escape', i);
      out += simple[esc];
      i += 2;
      continue;
    }
    out += ch;
    i += 1;
  }
  throw new GraphqlSyntaxError('Unterminated string', start);
}

function dedentBlockString(raw: string): string {
  const lines = raw.replace(/\\"""/g, '"""').split(/\r\n|\n|\r/);
  const indents = lines.slice(1).filter((l) => l.trim() !== '').map((l) => (/^[ \t]*/.exec(l) as RegExpExecArray)[0].length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  const trimmed = lines.map((l, idx) => (idx === 0 ? l : l.slice(common)));
  while (trimmed.length > 0 && (trimmed[0] as string).trim() === '') trimmed.shift();
  while (trimmed.length > 0 && (trimmed[trimmed.length - 1] as string).trim() === '') trimmed.pop();
  return trimmed.join('\n');
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  parseDocument(): GqlDocument {
    const operations: GqlOperation[] = [];
    const fragments = new Map<string, GqlFragment>();
    while (this.peek().kind !== 'eof') {
      const token = this.peek();
      if (token.kind === 'punct' && token.value === '{') {
        operations.push({ operation: 'query', name: undefined, variableDefaults: {}, selections: this.parseSelectionSet() });
      } else if (token.kind === 'name' && token.value === 'fragment') {
        const fragment = this.parseFragment();
        fragments.set(fragment.name, fragment);
      } else if (token.kind === 'name' && ['query', 'mutation', 'subscription'].includes(token.value)) {
        operations.push(this.parseOperation());
      } else {
        throw new GraphqlSyntaxError(`Unexpected "${token.value}"`, token.start);
      }
    }
    if (operations.length === 0) throw new GraphqlSyntaxError('Document has no operation', 0);
    return { operations, fragments };
  }

  private parseOperation(): GqlOperation {
    const operation = this.next().value as GqlOperation['operation'];
    const name = this.peek().kind === 'name' ? this.next().value : undefined;
    const variableDefaults: Record<string, GqlValue> = {};
    if (this.skipPunct('(')) {
      while (!this.skipPunct(')')) {
        this.expectPunct('$');
        const variable = this.expectName();
        this.expectPunct(':');
        this.skipType();
        if (this.skipPunct('=')) variableDefaults[variable] = this.parseValue(true);
        this.parseDirectives();
      }
    }
    this.parseDirectives();
    return { operation, name, variableDefaults, selections: this.parseSelectionSet() };
  }

  private skipType(): void {
    if (this.skipPunct('[')) {
      this.skipType();
      this.expectPunct(']');
    } else {
      this.expectName();
    }
    this.skipPunct('!');
  }

  private parseFragment(): GqlFragment {
    this.next();
    const name = this.expectName();
    const on = this.expectName();
    if (on !== 'on') throw new GraphqlSyntaxError('Expected "on"', this.peek().start);
    const typeCondition = this.expectName();
    this.parseDirectives();
    return { name, typeCondition, selections: this.parseSelectionSet() };
  }

  private parseSelectionSet(): GqlSelection[] {
    this.expectPunct('{');
    const selections: GqlSelection[] = [];
    while (!this.skipPunct('}')) selections.push(this.parseSelection());
    if (selections.length === 0) throw new GraphqlSyntaxError('Empty selection set', this.peek().start);
    return selections;
  }

  private parseSelection(): GqlSelection {
    if (this.skipPunct('...')) {
      const token = this.peek();
      if (token.kind === 'name' && token.value !== 'on') {
        this.next();
        return { kind: 'spread', name: token.value, directives: this.parseDirectives() };
      }
      let typeCondition: string | undefined;
      if (token.kind === 'name' && token.value === 'on') {
        this.next();
        typeCondition = this.expectName();
      }
      const directives = this.parseDirectives();
      return { kind: 'inline', typeCondition, directives, selections: this.parseSelectionSet() };
    }
    let name = this.expectName();
    let alias: string | undefined;
    if (this.skipPunct(':')) {
      alias = name;
      name = this.expectName();
    }
    const args = this.parseArguments();
    const directives = this.parseDirectives();
    const selections = this.peekPunct('{') ? this.parseSelectionSet() : undefined;
    return { kind: 'field', name, alias, args, directives, selections };
  }

  private parseArguments(): Record<string, GqlValue> {
    const args: Record<string, GqlValue> = {};
    if (!this.skipPunct('(')) return args;
    while (!this.skipPunct(')')) {
      const name = this.expectName();
      this.expectPunct(':');
      args[name] = this.parseValue(false);
    }
    return args;
  }

  private parseDirectives(): GqlDirective[] {
    const directives: GqlDirective[] = [];
    while (this.skipPunct('@')) directives.push({ name: this.expectName(), args: this.parseArguments() });
    return directives;
  }

  private parseValue(isConst: boolean): GqlValue {
    const token = this.next();
    switch (token.kind) {
      case 'int':
        return { kind: 'int', value: Number(token.value) };
      case 'float':
        return { kind: 'float', value: Number(token.value) };
      case 'string':
        return { kind: 'string', value: token.value };
      case 'name':
        if (token.value === 'true' || token.value === 'false') return { kind: 'boolean', value: token.value === 'true' };
        if (token.value === 'null') return { kind: 'null' };
        return { kind: 'enum', value: token.value };
      case 'punct':
        if (token.value === '$' && !isConst) return { kind: 'variable', name: this.expectName() };
        if (token.value === '[') {
          const values: GqlValue[] = [];
          while (!this.skipPunct(']')) values.push(this.parseValue(isConst));
          return { kind: 'list', values };
        }
        if (token.value === '{') {
          const fields: Record<string, GqlValue> = {};
          while (!this.skipPunct('}')) {
            const name = this.expectName();
            this.expectPunct(':');
            fields[name] = this.parseValue(isConst);
          }
          return { kind: 'object', fields };
        }
        break;
      default:
        break;
    }
    throw new GraphqlSyntaxError(`Unexpected "${token.value || token.kind}"`, token.start);
  }

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos += 1;
    return token;
  }

  private peekPunct(value: string): boolean {
    const token = this.peek();
    return token.kind === 'punct' && token.value === value;
  }

  private skipPunct(value: string): boolean {
    if (!this.peekPunct(value)) return false;
    this.pos += 1;
    return true;
  }

  private expectPunct(value: string): void {
    if (!this.skipPunct(value)) {
      const token = this.peek();
      throw new GraphqlSyntaxError(`Expected "${value}", found "${token.value || token.kind}"`, token.start);
    }
  }

  private expectName(): string {
    const token = this.next();
    if (token.kind !== 'name') throw new GraphqlSyntaxError(`Expected Name, found "${token.value || token.kind}"`, token.start);
    return token.value;
  }
}

/** Parses a GraphQL executable document; throws GraphqlSyntaxError on bad input. */
export function parseGraphql(source: string): GqlDocument {
  return new Parser(tokenizeGraphql(source)).parseDocument();
}

/** Turns an argument value into plain JSON, substituting variables. */
export function valueToJson(value: GqlValue, variables: Record<string, unknown>): unknown {
  switch (value.kind) {
    case 'variable':
      return variables[value.name] ?? null;
    case 'int':
    case 'float':
    case 'string':
    case 'boolean':
    case 'enum':
      return value.value;
    case 'null':
      return null;
    case 'list':
      return value.values.map((v) => valueToJson(v, variables));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value.fields)) out[key] = valueToJson(v, variables);
      return out;
    }
  }
}
