/**
 * A parser for the JQL subset the orchestrator writes: clauses joined by
 * AND / OR / NOT with parentheses; operators = != ~ !~ > >= < <= IN, NOT IN,
 * IS [NOT] EMPTY|NULL; quoted field names and `cf[10042]`; list operands;
 * functions such as currentUser(); and ORDER BY. Errors carry Jira's wording.
 */

export type JqlOperator = '=' | '!=' | '~' | '!~' | '>' | '>=' | '<' | '<=' | 'in' | 'not in' | 'is' | 'is not';

export type JqlOperand =
  | { kind: 'value'; value: string }
  | { kind: 'list'; values: JqlOperand[] }
  | { kind: 'empty' }
  | { kind: 'function'; name: string; args: string[] };

export type JqlNode =
  | { kind: 'and'; clauses: JqlNode[] }
  | { kind: 'or'; clauses: JqlNode[] }
  | { kind: 'not'; clause: JqlNode }
  | { kind: 'clause'; field: string; operator: JqlOperator; operand: JqlOperand };

export interface JqlOrderBy {
  field: string;
  direction: 'asc' | 'desc' | undefined;
}

export interface JqlQuery {
  where: JqlNode | undefined;
  orderBy: JqlOrderBy[];
}

export class JqlSyntaxError extends Error {
  constructor(detail: string, position: number) {
    super(`Error in the JQL Query: ${detail} (line 1, character ${position + 1})`);
    this.name = 'JqlSyntaxError';
  }
}

interface Token {
  kind: 'word' | 'string' | 'op' | 'punct' | 'eof';
  value: string;
  start: number;
}

const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'null', 'order', 'by', 'asc', 'desc']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '"' || ch === "'") {
      let value = '';
      let j = i + 1;
      while (j < source.length && source[j] !== ch) {
        if (source[j] === '\\' && j + 1 < source.length) j += 1;
        value += source[j];
        j += 1;
      }
      if (j >= source.length) throw new JqlSyntaxError(`The quoted string '${value}' has not been completed.`, i);
      tokens.push({ kind: 'string', value, start: i });
      i = j + 1;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', value: ch, start: i });
      i += 1;
    } else if (/[=!~<>]/.test(ch)) {
      const two = source.slice(i, i + 2);
      const op = ['!=', '!~', '>=', '<='].includes(two) ? two : ch;
      if (op === '!') throw new JqlSyntaxError(`Expecting operator but got '!'.`, i);
      tokens.push({ kind: 'op', value: op, start: i });
      i += op.length;
    } else {
      const match = /^(?:cf\[\d+\]|[^\s"'(),=!~<>]+)/i.exec(source.slice(i));
      if (!match) throw new JqlSyntaxError(`Unexpected character '${ch}'.`, i);
      tokens.push({ kind: 'word', value: match[0], start: i });
      i += match[0].length;
    }
  }
  tokens.push({ kind: 'eof', value: '', start: source.length });
  return tokens;
}

class JqlParser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): JqlQuery {
    let where: JqlNode | undefined;
    if (this.peek().kind !== 'eof' && !this.isKeyword('order')) where = this.parseOr();
    const orderBy: JqlOrderBy[] = [];
    if (this.isKeyword('order')) {
      this.next();
      if (!this.isKeyword('by')) throw new JqlSyntaxError(`Expecting 'by' but got '${this.peek().value}'.`, this.peek().start);
      this.next();
      do {
        const field = this.parseFieldName();
        let direction: JqlOrderBy['direction'];
        if (this.isKeyword('asc') || this.isKeyword('desc')) direction = this.next().value.toLowerCase() as 'asc' | 'desc';
        orderBy.push({ field, direction });
      } while (this.skipPunct(','));
    }
    const rest = this.peek();
    if (rest.kind !== 'eof') throw new JqlSyntaxError(`Expecting either 'OR' or 'AND' but got '${rest.value}'.`, rest.start);
    return { where, orderBy };
  }

  private parseOr(): JqlNode {
    const clauses = [this.parseAnd()];
    while (this.isKeyword('or')) {
      this.next();
      clauses.push(this.parseAnd());
    }
    return clauses.length === 1 ? (clauses[0] as JqlNode) : { kind: 'or', clauses };
  }

  private parseAnd(): JqlNode {
    const clauses = [this.parseNot()];
    while (this.isKeyword('and')) {
      this.next();
      clauses.push(this.parseNot());
    }
    return clauses.length === 1 ? (clauses[0] as JqlNode) : { kind: 'and', clauses };
  }

  private parseNot(): JqlNode {
    if (this.isKeyword('not')) {
      this.next();
      return { kind: 'not', clause: this.parseNot() };
    }
    if (this.skipPunct('(')) {
      const inner = this.parseOr();
      if (!this.skipPunct(')')) throw new JqlSyntaxError(`Expecting ')' but got '${this.peek().value || '<EOF>'}'.`, this.peek().start);
      return inner;
    }
    return this.parseClause();
  }

  private parseFieldName(): string {
    const token = this.next();
    if (token.kind === 'string') return token.value;
    if (token.kind === 'word' && !RESERVED.has(token.value.toLowerCase())) return token.value;
    const got = token.kind === 'eof' ? '<EOF>' : token.value;
    throw new JqlSyntaxError(`Expecting a field name but got '${got}'.`, token.start);
  }

  private parseClause(): JqlNode {
    const field = this.parseFieldName();
    const token = this.next();
    let operator: JqlOperator;
    if (token.kind === 'op') {
      operator = token.value as JqlOperator;
    } else if (token.kind === 'word' && token.value.toLowerCase() === 'in') {
      operator = 'in';
    } else if (token.kind === 'word' && token.value.toLowerCase() === 'not' && this.isKeyword('in')) {
      this.next();
      operator = 'not in';
    } else if (token.kind === 'word' && token.value.toLowerCase() === 'is') {
      operator = 'is';
      if (this.isKeyword('not')) {
        this.next();
        operator = 'is not';
      }
    } else {
      const got = token.kind === 'eof' ? '<EOF>' : token.value;
      throw new JqlSyntaxError(`Expecting operator but got '${got}'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.`, token.start);
    }
    const operand = this.parseOperand(operator);
    return { kind: 'clause', field, operator, operand };
  }

  private parseOperand(operator: JqlOperator): JqlOperand {
    if (operator === 'in' || operator === 'not in') {
      if (!this.skipPunct('(')) {
        const fn = this.tryFunction();
        if (fn) return fn;
        throw new JqlSyntaxError(`Expecting '(' but got '${this.peek().value || '<EOF>'}'.`, this.peek().start);
      }
      const values: JqlOperand[] = [];
      do values.push(this.parseSingle());
      while (this.skipPunct(','));
      if (!this.skipPunct(')')) throw new JqlSyntaxError(`Expecting ')' but got '${this.peek().value || '<EOF>'}'.`, this.peek().start);
      return { kind: 'list', values };
    }
    if (operator === 'is' || operator === 'is not') {
      if (this.isKeyword('empty') || this.isKeyword('null')) {
        this.next();
        return { kind: 'empty' };
      }
      throw new JqlSyntaxError(`Expecting 'EMPTY' or 'NULL' but got '${this.peek().value || '<EOF>'}'.`, this.peek().start);
    }
    return this.parseSingle();
  }

  private parseSingle(): JqlOperand {
    const fn = this.tryFunction();
    if (fn) return fn;
    const token = this.next();
    if (token.kind === 'string') return { kind: 'value', value: token.value };
    if (token.kind === 'word') {
      const lower = token.value.toLowerCase();
      if (lower === 'empty' || lower === 'null') return { kind: 'empty' };
      if (!RESERVED.has(lower)) return { kind: 'value', value: token.value };
    }
    const got = token.kind === 'eof' ? '<EOF>' : token.value;
    throw new JqlSyntaxError(`Expecting either a value, list or function but got '${got}'.`, token.start);
  }

  private tryFunction(): JqlOperand | undefined {
    const token = this.peek();
    const after = this.tokens[this.pos + 1];
    if (token.kind !== 'word' || after?.kind !== 'punct' || after.value !== '(') return undefined;
    this.pos += 2;
    const args: string[] = [];
    if (!this.skipPunct(')')) {
      do {
        const arg = this.next();
        if (arg.kind !== 'word' && arg.kind !== 'string') throw new JqlSyntaxError(`Expecting a function argument but got '${arg.value}'.`, arg.start);
        args.push(arg.value);
      } while (this.skipPunct(','));
      if (!this.skipPunct(')')) throw new JqlSyntaxError(`Expecting ')' but got '${this.peek().value || '<EOF>'}'.`, this.peek().start);
    }
    return { kind: 'function', name: token.value, args };
  }

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos += 1;
    return token;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.value.toLowerCase() === word;
  }

  private skipPunct(value: string): boolean {
    const token = this.peek();
    if (token.kind !== 'punct' || token.value !== value) return false;
    this.pos += 1;
    return true;
  }
}

/** Parses a JQL query; throws JqlSyntaxError with Jira's message wording. */
export function parseJql(source: string): JqlQuery {
  return new JqlParser(tokenize(source)).parse();
}
