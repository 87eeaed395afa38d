/** Every panel, in sidebar order; the id is also the template name and the URL segment. */
export type PanelId =
  | 'overview'
  | 'issues'
  | 'jobs'
  | 'pulls'
  | 'blockers'
  | 'projects'
  | 'pipelines-steps'
  | 'schedules'
  | 'models'
  | 'runners'
  | 'sessions'
  | 'reaper'
  | 'secrets'
  | 'settings'
  | 'audit'
  | 'customizations';

export interface NavItem {
  id: PanelId;
  label: string;
  href: string;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

const item = (id: PanelId, label: string): NavItem => ({ id, label, href: id === 'overview' ? '/admin' : `/admin/${id}` });

/** The four groups of the operator guide. "Pipelines" is the dispatch log (jobs) under its sidebar name. */
export const NAV_GROUPS: readonly NavGroup[] = [
  { label: 'Work', items: [item('overview', 'Overview'), item('issues', 'Issues'), item('jobs', 'Pipelines'), item('pulls', 'Pull requests'), item('blockers', 'Blockers')] },
  { label: 'Configure', items: [item('projects', 'Projects'), item('pipelines-steps', 'Pipelines & steps'), item('schedules', 'Schedules'), item('models', 'Models & providers')] },
  { label: 'Platform', items: [item('runners', 'Runners'), item('sessions', 'Sessions'), item('reaper', 'Reaper'), item('secrets', 'Secrets'), item('settings', 'Settings')] },
  { label: 'Developer', items: [item('audit', 'Audit log'), item('customizations', 'Customizations')] },
];

export const PANEL_IDS: readonly PanelId[] = NAV_GROUPS.flatMap((g) => g.items.map((i) => i.id));

export function panelLabel(id: PanelId): string {
  return NAV_GROUPS.flatMap((g) => g.items).find((i) => i.id === id)?.label ?? id;
}
