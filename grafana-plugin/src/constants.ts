// Names every page shares: the app's id and URLs, the backend's resource prefix and the
// dashboards and data sources provisioned beside the app (their uids are fixed in provisioning/).
import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;
export const RESOURCES_URL = `api/plugins/${PLUGIN_ID}/resources`;

export enum ROUTES {
  Runs = 'runs',
  Recipes = 'recipes',
  Services = 'services',
}

export const LIVE_DASHBOARD_UID = 'aifb-live';
export const POSTMORTEM_DASHBOARD_UID = 'aifb-postmortem';
export const LOKI_UID = 'aifb-loki';

// How often the Runs and Services pages ask again, in milliseconds.
export const REFRESH_MS = 5000;

export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}
