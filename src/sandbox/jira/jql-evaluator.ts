import { adfText } from './jira-format.js';
import type { JiraCustomField, JiraIssue, JiraStore } from './jira-state.js';
import type { JqlNode, JqlOperand, JqlOperator, JqlQuery } from './jql-parser.js';

/**
 * Validates and evaluates parsed JQL against the emulator's issues, keeping
 * Jira's semantics where the orchestrator can trip on them: `!=` and
 * `NOT IN` never match an empty field, text fields accept only `~`/`!~`,
 * unknown fields and values are errors, not silent misses.
 */

export interface JqlContext {
  /** accountId of the caller, for currentUser(). */
  currentUser: string;
  now: Date;
}

type FieldKind = 'project' | 'status' | 'statusCategory' | 'labels' | 'user' | 'key' | 'text' | 'date' | 'issuetype' | 'select';

interface FieldRef {
  kind: FieldKind;
  /** The name used in error messages. */
  name: string;
  system?: string;
  custom?: JiraCustomField;
}

const SYSTEM: Record<string, { kind: FieldKind; system: string }> = {
  project: { kind: 'project', system: 'project' },
  status: { kind: 'status', system: 'status' },
  statuscategory: { kind: 'statusCategory', system: 'statusCategory' },
  labels: { kind: 'labels', system: 'labels' },
  assignee: { kind: 'user', system: 'assignee' },
  reporter: { kind: 'user', system: 'reporter' },
  key: { kind: 'key', system: 'key' },
  issuekey: { kind: 'key', system: 'key' },
  id: { kind: 'key', system: 'key' },
  summary: { kind: 'text', system: 'summary' },
  description: { kind: 'text', system: 'description' },
  text: { kind: 'text', system: 'text' },
  created: { kind: 'date', system: 'created' },
  createddate: { kind: 'date', system: 'created' },
  updated: { kind: 'date', system: 'updated' },
  updateddate: { kind: 'date', system: 'updated' },
  issuetype: { kind: 'issuetype', system: 'issuetype' },
  type: { kind: 'issuetype', system: 'issuetype' },
};

const OPERATORS: Record<FieldKind, JqlOperator[]> = {
  project: ['=', '!=', 'in', 'not in', 'is', 'is not'],
  status: ['=', '!=', 'in', 'not in'],
  statusCategory: ['=', '!=', 'in', 'not in'],
  labels: ['=', '!=', 'in', 'not in', 'is', 'is not'],
  user: ['=', '!=', 'in', 'not in', 'is', 'is not'],
  key: ['=', '!=', 'in', 'not in', '<', '<=', '>', '>='],
  text: ['~', '!~', 'is', 'is not'],
  date: ['=', '!=', '<', '<=', '>', '>=', 'is', 'is not'],
  issuetype: ['=', '!=', 'in', 'not in'],
  select: ['=', '!=', 'in', 'not in', 'is', 'is not'],
};

const CATEGORY_NAMES: Record<string, string[]> = { new: ['new', 'to do', '2'], indeterminate: ['indeterminate', 'in progress', '4'], done: ['done', 'complete', '3'] };

export class JqlEvaluator {
  constructor(private readonly store: JiraStore) {}

  resolveField(name: string): FieldRef | undefined {
    const system = SYSTEM[name.toLowerCase()];
    if (system) return { kind: system.kind, name, system: system.system };
    const custom = this.store.findCustomField(name);
    if (custom) return { kind: custom.type === 'select' ? 'select' : 'text', name: custom.name, custom };
    return undefined;
  }

  /** Jira's `errorMessages` for a parsed query: unknown fields, values, operators, functions. */
  validate(query: JqlQuery, ctx: JqlContext): string[] {
    const errors: string[] = [];
    const visit = (node: JqlNode): void => {
      if (node.kind === 'and' || node.kind === 'or') node.clauses.forEach(visit);
      else if (node.kind === 'not') visit(node.clause);
      else errors.push(...this.validateClause(node, ctx));
    };
    if (query.where) visit(query.where);
    for (const order of query.orderBy) {
      if (!this.resolveField(order.field) && !['priority', 'rank'].includes(order.field.toLowerCase())) {
        errors.push(`Not able to sort using field '${order.field}'.`);
      }
    }
    return errors;
  }

  private validateClause(node: Extract<JqlNode, { kind: 'clause' }>, ctx: JqlContext): string[] {
    const field = this.resolveField(node.field);
    if (!field) return [`Field '${node.field}' does not exist or you do not have permission to view it.`];
    if (!OPERATORS[field.kind].includes(node.operator)) {
      return [`The operator '${node.operator.toUpperCase()}' is not supported by the '${node.field}' field.`];
    }
    const errors: string[] = [];
    for (const operand of flatten(node.operand)) {
      if (operand.kind === 'function') {
        if (!['currentuser', 'now', 'startofday', 'endofday'].includes(operand.name.toLowerCase())) {
          errors.push(`Unable to find JQL function '${operand.name}(${operand.args.join(', ')})'.`);
        }
        continue;
      }
      if (operand.kind !== 'value') continue;
      const value = operand.value;
      if (field.kind === 'project' && !this.store.findProject(value)) errors.push(`The value '${value}' does not exist for the field '${node.field}'.`);
      if (field.kind === 'status' && !this.store.findStatus(value)) errors.push(`The value '${value}' does not exist for the field '${node.field}'.`);
      if (field.kind === 'statusCategory' && !Object.values(CATEGORY_NAMES).some((n) => n.includes(value.toLowerCase()))) {
        errors.push(`The value '${value}' does not exist for the field '${node.field}'.`);
      }
      if (field.kind === 'select' && field.custom && !this.store.findOption(field.custom, value)) {
        errors.push(`The option '${value}' for field '${field.name}' does not exist.`);
      }
      if (field.kind === 'date' && parseJqlDate(value, ctx.now) === undefined) {
        errors.push(
          `Date value '${value}' for field '${node.field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`,
        );
      }
    }
    return errors;
  }

  matches(issue: JiraIssue, node: JqlNode | undefined, ctx: JqlContext): boolean {
    if (!node) return true;
    switch (node.kind) {
      case 'and':
        return node.clauses.every((c) => this.matches(issue, c, ctx));
      case 'or':
        return node.clauses.some((c) => this.matches(issue, c, ctx));
      case 'not':
        return !this.matches(issue, node.clause, ctx);
      case 'clause':
        return this.matchClause(issue, node, ctx);
    }
  }

  private matchClause(issue: JiraIssue, node: Extract<JqlNode, { kind: 'clause' }>, ctx: JqlContext): boolean {
    const field = this.resolveField(node.field) as FieldRef;
    const values = this.valuesOf(issue, field);
    const empty = values.length === 0;
    const operands = flatten(node.operand).map((o) => this.operandValue(o, field, ctx));
    switch (node.operator) {
      case 'is':
        return empty;
      case 'is not':
        return !empty;
      case '=':
      case 'in':
        return operands.some((o) => (o === null ? empty : this.equals(field, values, o)));
      case '!=':
      case 'not in':
        // Jira never returns issues whose field is empty for a negative match.
        if (empty) return false;
        return operands.every((o) => o === null || !this.equals(field, values, o));
      case '~':
        return !empty && operands.some((o) => o !== null && values.some((v) => containsWords(v, o)));
      case '!~':
        return !empty && operands.every((o) => o !== null && !values.some((v) => containsWords(v, o)));
      default:
        return operands.some((o) => o !== null && values.some((v) => compareOrdered(field, v, o, node.operator)));
    }
  }

  private operandValue(operand: JqlOperand, field: FieldRef, ctx: JqlContext): string | null {
    if (operand.kind === 'empty') return null;
    if (operand.kind === 'function') {
      const name = operand.name.toLowerCase();
      if (name === 'currentuser') return ctx.currentUser;
      const day = new Date(ctx.now);
      if (name === 'startofday') day.setUTCHours(0, 0, 0, 0);
      if (name === 'endofday') day.setUTCHours(23, 59, 59, 999);
      return day.toISOString();
    }
    if (operand.kind === 'value' && field.kind === 'date') return new Date(parseJqlDate(operand.value, ctx.now) as number).toISOString();
    return operand.kind === 'value' ? operand.value : null;
  }

  /** The field's values on an issue as comparable strings; `[]` when empty. */
  valuesOf(issue: JiraIssue, field: FieldRef): string[] {
    const site = this.store.site;
    switch (field.system ?? 'custom') {
      case 'project': {
        const p = site.projects.find((x) => x.id === issue.projectId);
        return p ? [p.key] : [];
      }
      case 'status':
        return [issue.statusId];
      case 'statusCategory':
        return [site.statuses.find((s) => s.id === issue.statusId)?.category ?? 'new'];
      case 'labels':
        return [...issue.labels];
      case 'assignee':
        return issue.assigneeId ? [issue.assigneeId] : [];
      case 'reporter':
        return issue.reporterId ? [issue.reporterId] : [];
      case 'key':
        return [issue.key];
      case 'summary':
        return [issue.summary];
      case 'description':
        return issue.description ? [adfText(issue.description)] : [];
      case 'text':
        return [issue.summary, adfText(issue.description), ...site.comments.filter((c) => c.issueId === issue.id).map((c) => adfText(c.body))];
      case 'created':
        return [issue.created];
      case 'updated':
        return [issue.updated];
      case 'issuetype':
        return [issue.issueType];
      default: {
        const raw = field.custom ? issue.custom[field.custom.id] : null;
        return raw === null || raw === undefined || raw === '' ? [] : [raw];
      }
    }
  }

  private equals(field: FieldRef, values: string[], operand: string): boolean {
    const lower = operand.toLowerCase();
    switch (field.kind) {
      case 'project': {
        const p = this.store.findProject(operand);
        return p !== undefined && values.includes(p.key);
      }
      case 'status': {
        const s = this.store.findStatus(operand);
        return s !== undefined && values.includes(s.id);
      }
      case 'statusCategory':
        return values.some((v) => (CATEGORY_NAMES[v] ?? []).includes(lower));
      case 'user': {
        const u = this.store.findUser(operand);
        return u !== undefined && values.includes(u.accountId);
      }
      case 'select': {
        const option = field.custom ? this.store.findOption(field.custom, operand) : undefined;
        return option !== undefined && values.includes(option.id);
      }
      case 'date':
        return values.some((v) => Date.parse(v) === Date.parse(operand));
      default:
        return values.some((v) => v.toLowerCase() === lower);
    }
  }

  /** Sorts in place by ORDER BY (id ascending when none is given). */
  sort(issues: JiraIssue[], query: JqlQuery): JiraIssue[] {
    return issues.sort((a, b) => {
      for (const order of query.orderBy) {
        const field = this.resolveField(order.field);
        const av = field ? sortKey(field, this.valuesOf(a, field)) : '';
        const bv = field ? sortKey(field, this.valuesOf(b, field)) : '';
        const cmp = av < bv ? -1 : av > bv ? 1 : 0;
        if (cmp !== 0) return order.direction === 'desc' ? -cmp : cmp;
      }
      return Number(a.id) - Number(b.id);
    });
  }
}

function flatten(operand: JqlOperand): JqlOperand[] {
  return operand.kind === 'list' ? operand.values.flatMap(flatten) : [operand];
}

function containsWords(haystack: string, needle: string): boolean {
  const text = haystack.toLowerCase();
  return needle
    .toLowerCase()
    .replace(/\*/g, '')
    .split(/\s+/)
    .filter((w) => w !== '')
    .every((word) => text.includes(word));
}

function keyParts(key: string): [string, number] {
  const match = /^(.*)-(\d+)$/.exec(key);
  return match ? [(match[1] as string).toUpperCase(), Number(match[2])] : [key.toUpperCase(), 0];
}

function compareOrdered(field: FieldRef, value: string, operand: string, op: JqlOperator): boolean {
  let cmp: number;
  if (field.kind === 'date') cmp = Date.parse(value) - Date.parse(operand);
  else if (field.kind === 'key') {
    const [vp, vn] = keyParts(value);
    const [op2, on] = keyParts(operand);
    if (vp !== op2) return false;
    cmp = vn - on;
  } else cmp = value.localeCompare(operand);
  return op === '<' ? cmp < 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : cmp >= 0;
}

function sortKey(field: FieldRef, values: string[]): string {
  const first = values[0] ?? '';
  if (field.kind === 'key') {
    const [prefix, n] = keyParts(first);
    return `${prefix}-${String(n).padStart(10, '0')}`;
  }
  return first.toLowerCase();
}

/** Jira date operands: absolute dates (with optional time) or periods like `-5d`, `-1w 2d`, `-30m`. */
export function parseJqlDate(value: string, now: Date): number | undefined {
  const absolute = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:\s+(\d{2}):(\d{2}))?$/.exec(value.trim());
  if (absolute) {
    const [, y, mo, d, h, mi] = absolute;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0));
    const check = new Date(ms);
    return check.getUTCMonth() === Number(mo) - 1 && check.getUTCDate() === Number(d) ? ms : undefined;
  }
  if (/^-?\d+$/.test(value.trim()) && value.trim().length >= 10) return Number(value.trim());
  const period = /^([-+])?\s*((?:\d+[wdhm]\s*)+)$/.exec(value.trim());
  if (!period) return undefined;
  const units: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000 };
  let total = 0;
  for (const part of (period[2] as string).matchAll(/(\d+)([wdhm])/g)) total += Number(part[1]) * (units[part[2] as string] as number);
  return now.getTime() + (period[1] === '-' ? -total : total);
}
