// Runs: every run aifbd knows, newest first, asked again every few seconds so states move
// without a reload. Each row links to the run's page, its live dashboard and its logs in
// Explore; a run that has not ended has a Stop button that asks first.
import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, SelectableValue, locationUtil } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, InlineField, LinkButton, Select, Stack, TextLink, useStyles2 } from '@grafana/ui';
import { api, ApiError, shortState } from '../api';
import { ErrorBox, StateBadge, StopButton, formatDuration, formatTime, usePoll } from '../components/common';
import { REFRESH_MS, ROUTES, prefixRoute } from '../constants';
import { liveDashboardUrl, logsExploreUrl } from '../links';

const STATES = ['PENDING', 'SUBMITTED', 'STARTING', 'RUNNING', 'STOPPING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const stateOptions: Array<SelectableValue<string>> = STATES.map((s) => ({ label: s, value: s }));

export function Runs() {
  const s = useStyles2(getStyles);
  const [state, setState] = useState<string | undefined>(undefined);
  const [stopError, setStopError] = useState<ApiError | undefined>(undefined);
  const runs = usePoll(() => api.listRuns({ state, page_size: 100 }), REFRESH_MS, [state]);

  const afterStop = (e?: ApiError) => {
    setStopError(e);
    runs.refresh();
  };

  return (
    <PluginPage>
      <Stack direction="column" gap={2}>
        <Stack gap={2} alignItems="center">
          <InlineField label="State">
            <Select
              width={20}
              isClearable
              placeholder="any"
              options={stateOptions}
              value={state ?? null}
              onChange={(o) => setState(o?.value)}
            />
          </InlineField>
          <LinkButton href={prefixRoute(ROUTES.Recipes)} icon="play" variant="primary">
            Start a run
          </LinkButton>
        </Stack>
        <ErrorBox title="aifbd did not list the runs" error={runs.error} />
        <ErrorBox title="The run did not stop" error={stopError} />
        {!runs.loading && !runs.error && (runs.data ?? []).length === 0 && (
          <Alert severity="info" title="No runs">
            Start one from Recipes.
          </Alert>
        )}
        {(runs.data ?? []).length > 0 && (
          <table className={s.table} aria-label="runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Recipe</th>
                <th>State</th>
                <th>Created</th>
                <th>Duration</th>
                <th>Reason</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(runs.data ?? []).map((r) => (
                <tr key={r.id}>
                  <td>
                    <TextLink href={prefixRoute(`${ROUTES.Runs}/${r.id}`)} inline={false}>
                      {r.id}
                    </TextLink>
                  </td>
                  <td>{r.recipe}</td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td>{formatTime(r.created_at_ms)}</td>
                  <td>{formatDuration(r.created_at_ms, r.ended_at_ms)}</td>
                  <td className={s.reason}>{r.reason}</td>
                  <td>
                    <Stack gap={1}>
                      <LinkButton
                        size="sm"
                        variant="secondary"
                        icon="apps"
                        href={locationUtil.assureBaseUrl(liveDashboardUrl(r))}
                        title={`Live dashboard of ${r.id} (${shortState(r.state)})`}
                      >
                        Live
                      </LinkButton>
                      <LinkButton
                        size="sm"
                        variant="secondary"
                        icon="gf-logs"
                        href={locationUtil.assureBaseUrl(logsExploreUrl(r))}
                      >
                        Logs
                      </LinkButton>
                      <StopButton what="run" id={r.id} state={r.state} stop={api.stopRun} onDone={afterStop} />
                    </Stack>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Stack>
    </PluginPage>
  );
}

export default Runs;

export const getStyles = (theme: GrafanaTheme2) => ({
  table: css`
    width: 100%;
    border-collapse: collapse;
    th,
    td {
      padding: ${theme.spacing(0.5, 1)};
      border-bottom: 1px solid ${theme.colors.border.weak};
      text-align: left;
      vertical-align: middle;
    }
    th {
      color: ${theme.colors.text.secondary};
      font-weight: ${theme.typography.fontWeightMedium};
    }
  `,
  reason: css`
    max-width: 40ch;
    overflow-wrap: anywhere;
    color: ${theme.colors.text.secondary};
  `,
});
