import { CONFIG_VARIABLES } from './config-schema.js';

/** The README's configuration table, generated from the schema (`npm run docs`). */
export function renderConfigTable(): string {
  const rows = ['| Variable | Default | Secret | Meaning |', '|---|---|---|---|'];
  let group = '';
  for (const variable of CONFIG_VARIABLES) {
    if (variable.group !== group) {
      group = variable.group;
      rows.push(`| **${group}** | | | |`);
    }
    rows.push(`| \`${variable.name}\` | ${variable.defaultText ?? ''} | ${variable.secret ? 'yes' : ''} | ${variable.description} |`);
  }
  return rows.join('\n');
}
