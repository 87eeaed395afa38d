/**
 * Builds the candidate JQL for one Jira scope. The operator's clause is
 * wrapped in parentheses so its ORs cannot swallow our conditions, and a
 * trailing ORDER BY in it is moved to the end where JQL requires it.
 */

/** A JQL string literal: double quotes, with `\` and `"` escaped. */
export function quoteJql(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Splits `jql` at an ORDER BY that is not inside a quoted string. */
export function splitOrderBy(jql: string): { where: string; orderBy: string | undefined } {
  let quote: string | undefined;
  for (let i = 0; i < jql.length; i += 1) {
    const ch = jql[i] as string;
    if (quote) {
      if (ch === '\\') i += 1;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (/\s|^/.test(jql[i - 1] ?? ' ') && /^order\s+by\b/i.test(jql.slice(i))) {
      return { where: jql.slice(0, i).trim(), orderBy: jql.slice(i).trim() };
    }
  }
  return { where: jql.trim(), orderBy: undefined };
}

/** `cf[10042]` for a custom field id, the quoted name or id otherwise. */
export function fieldClause(fieldId: string): string {
  const custom = /^customfield_(\d+)$/.exec(fieldId);
  return custom ? `cf[${custom[1]}]` : quoteJql(fieldId);
}

export interface CandidateJqlParts {
  scopeJql: string;
  statusFieldId: string;
  triggerValues: readonly string[];
  repoFieldId: string;
  repoValue: string;
  /** Text fields only take `~` (contains words); the exact check then happens locally. */
  repoFieldKind: 'select' | 'text';
}

export function buildCandidateJql(parts: CandidateJqlParts): string {
  const { where, orderBy } = splitOrderBy(parts.scopeJql);
  const repoOperator = parts.repoFieldKind === 'select' ? '=' : '~';
  const clauses = [
    `${fieldClause(parts.statusFieldId)} in (${parts.triggerValues.map(quoteJql).join(', ')})`,
    `${fieldClause(parts.repoFieldId)} ${repoOperator} ${quoteJql(parts.repoValue)}`,
    'statusCategory != Done',
  ];
  const all = where ? [`(${where})`, ...clauses] : clauses;
  return `${all.join(' AND ')}${orderBy ? ` ${orderBy}` : ''}`;
}
