import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import type { Redaction } from '../../config/index.js';
import { NAV_GROUPS, type NavGroup, type PanelId } from './nav.js';

/** What every page's frame needs besides the panel's own view-model. */
export interface PageFrame {
  active: PanelId | 'login';
  title: string;
  /** Present once signed in; forms of the page carry it. */
  csrfToken?: string;
  notice?: string;
  error?: string;
  sandbox: boolean;
  /** Extra scripts of this page under /admin/static (the layout always loads admin.js). */
  scripts?: string[];
}

interface LayoutModel extends PageFrame {
  groups: readonly NavGroup[];
  body: string;
  signedIn: boolean;
}

export interface Renderer {
  /** Renders `views/<template>.ejs` with `vm` inside the layout. */
  page(template: string, vm: object, frame: PageFrame): string;
  /** Renders a partial alone (server-sent updates replace a part of the page with it). */
  fragment(template: string, vm: object): string;
}

type Template = (data: object) => string;

/**
 * Templates get a prepared view-model and nothing else: no store, no clock.
 * Compiled templates are kept (unless `cache` is off for editing), so a render
 * is string building only.
 */
export function createRenderer(viewsDir: string, options: { cache: boolean; redaction?: Redaction }): Renderer {
  // Every page and fragment: the ledger may hold text from before the redactor learned a secret.
  const clean = <T>(value: T): T => (options.redaction ? options.redaction.redactValue(value) : value);
  const compiled = new Map<string, Template>();
  const templateOf = (name: string): Template => {
    const cached = options.cache ? compiled.get(name) : undefined;
    if (cached) return cached;
    const filename = join(viewsDir, `${name}.ejs`);
    const fn = ejs.compile(readFileSync(filename, 'utf8'), { filename, root: viewsDir, cache: options.cache, async: false, strict: false }) as Template;
    compiled.set(name, fn);
    return fn;
  };
  return {
    page(template, vm, frame) {
      const body = templateOf(template)({ vm: clean(vm), csrfToken: frame.csrfToken ?? '' });
      // The frame's notice and error may quote a refused request; the CSRF token is ours and stays as it is.
      const shown = { ...frame, ...(frame.notice ? { notice: clean(frame.notice) } : {}), ...(frame.error ? { error: clean(frame.error) } : {}) };
      const layout: LayoutModel = { ...shown, groups: NAV_GROUPS, body, signedIn: frame.csrfToken !== undefined };
      return templateOf('layout')({ vm: layout, csrfToken: frame.csrfToken ?? '' });
    },
    fragment(template, vm) {
      return templateOf(template)({ vm: clean(vm), csrfToken: '' });
    },
  };
}
