// URLs from a run to the provisioned views of it. The time range is the run's life with a minute
// of margin on each side; a run still going ends at "now" so the live dashboard keeps moving.
import { LIVE_DASHBOARD_UID, LOKI_UID, POSTMORTEM_DASHBOARD_UID } from './constants';
import { Run } from './api';

const MARGIN_MS = 60_000;

function range(run: Run): { from: string; to: string } {
  const from = String(Math.max(0, (run.created_at_ms || Date.now()) - MARGIN_MS));
  const to = run.ended_at_ms ? String(run.ended_at_ms + MARGIN_MS) : 'now';
  return { from, to };
}

function timeQuery(run: Run): string {
  const r = range(run);
  return `from=${encodeURIComponent(r.from)}&to=${encodeURIComponent(r.to)}`;
}

export function liveDashboardUrl(run: Run): string {
  return `/d/${LIVE_DASHBOARD_UID}?var-run_id=${encodeURIComponent(run.id)}&${timeQuery(run)}`;
}

export function postmortemUrl(run: Run): string {
  return `/d/${POSTMORTEM_DASHBOARD_UID}?var-run_id=${encodeURIComponent(run.id)}&${timeQuery(run)}`;
}

// Explore's URL format since Grafana 10 (schemaVersion 1, one pane): the run's log streams in Loki,
// labelled by aifb-logship with app="aifb" and the run's id.
export function logsExploreUrl(run: Run): string {
  const pane = {
    datasource: LOKI_UID,
    queries: [
      {
        refId: 'A',
        datasource: { type: 'loki', uid: LOKI_UID },
        expr: `{app="aifb", run_id="${run.id}"}`,
      },
    ],
    range: range(run),
  };
  return `/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify({ logs: pane }))}`;
}
