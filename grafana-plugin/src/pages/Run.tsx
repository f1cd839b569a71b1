// Run: one run's state, parameters, result summary and events, with links to its live and
// post-mortem dashboards and its logs. Asked again every few seconds until the run has ended.
import React, { useState } from 'react';
import { useParams } from 'react-router-dom';
import { locationUtil } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { LinkButton, Stack, Text, useStyles2 } from '@grafana/ui';
import { api, ApiError, isFinal, Run as RunT, RunEvent } from '../api';
import { ErrorBox, StateBadge, StopButton, formatDuration, formatTime, usePoll } from '../components/common';
import { REFRESH_MS } from '../constants';
import { liveDashboardUrl, logsExploreUrl, postmortemUrl } from '../links';
import { getStyles } from './Runs';

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
}

function Summary({ run }: { run: RunT }) {
  const s = useStyles2(getStyles);
  if (!run.summary?.length) {
    return (
      <Text color="secondary">
        {isFinal(run.state) ? 'No result summary.' : 'The summary comes when the run ends.'}
      </Text>
    );
  }
  return (
    <table className={s.table} aria-label="result summary">
      <thead>
        <tr>
          <th>Metric</th>
          <th>Value</th>
          <th>Unit</th>
        </tr>
      </thead>
      <tbody>
        {run.summary.map((m) => (
          <tr key={m.name}>
            <td>{m.name}</td>
            <td>{formatValue(m.value)}</td>
            <td>{m.unit}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Events({ events }: { events: RunEvent[] }) {
  const s = useStyles2(getStyles);
  return (
    <table className={s.table} aria-label="events">
      <thead>
        <tr>
          <th>Time</th>
          <th>From</th>
          <th>To</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.seq}>
            <td>{formatTime(e.time_ms)}</td>
            <td>{e.from_state}</td>
            <td>{e.to_state}</td>
            <td className={s.reason}>{e.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Run() {
  const { id = '' } = useParams<{ id: string }>();
  const [stopError, setStopError] = useState<ApiError | undefined>(undefined);
  const [ended, setEnded] = useState(false);
  const run = usePoll(
    async () => {
      const [r, events] = await Promise.all([api.getRun(id), api.runEvents(id)]);
      setEnded(isFinal(r.state));
      return { run: r, events };
    },
    ended ? 0 : REFRESH_MS,
    [id]
  );
  const r = run.data?.run;

  return (
    <PluginPage>
      <Stack direction="column" gap={2}>
        <ErrorBox title={`aifbd did not return run ${id}`} error={run.error} />
        <ErrorBox title="The run did not stop" error={stopError} />
        {r && (
          <>
            <Stack gap={2} alignItems="center" wrap="wrap">
              <Text element="h2">{r.id}</Text>
              <StateBadge state={r.state} />
              <Text>
                {r.recipe} · {r.executor} · {formatTime(r.created_at_ms)} ·{' '}
                {formatDuration(r.created_at_ms, r.ended_at_ms)}
              </Text>
              <StopButton
                what="run"
                id={r.id}
                state={r.state}
                stop={api.stopRun}
                onDone={(e) => {
                  setStopError(e);
                  run.refresh();
                }}
              />
            </Stack>
            {r.reason && <Text color="secondary">{r.reason}</Text>}
            <Stack gap={1}>
              <LinkButton variant="secondary" icon="apps" href={locationUtil.assureBaseUrl(liveDashboardUrl(r))}>
                Live dashboard
              </LinkButton>
              <LinkButton variant="secondary" icon="chart-line" href={locationUtil.assureBaseUrl(postmortemUrl(r))}>
                Post-mortem
              </LinkButton>
              <LinkButton variant="secondary" icon="gf-logs" href={locationUtil.assureBaseUrl(logsExploreUrl(r))}>
                Logs in Explore
              </LinkButton>
            </Stack>
            <Text element="h3">Parameters</Text>
            <Text>{(r.params ?? []).map((p) => `${p.name}=${p.value}`).join('  ') || 'none'}</Text>
            <Text element="h3">Result summary</Text>
            <Summary run={r} />
            <Text element="h3">Events</Text>
            <Events events={run.data?.events ?? []} />
          </>
        )}
      </Stack>
    </PluginPage>
  );
}

export default Run;
