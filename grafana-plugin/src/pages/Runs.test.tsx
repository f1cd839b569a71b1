// The Runs page: the table, its refresh, its links, Stop after confirmation, and aifbd's errors.
import React from 'react';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { DONE_RUN, RES, RUNNING_RUN, answerGets, fetchError, mockBackend, mockConfig, renderAt } from '../testutils';
import { Runs } from './Runs';

jest.mock('@grafana/runtime', () => require('../testutils').pluginPageMock());

describe('Runs page', () => {
  beforeEach(() => {
    jest.resetAllMocks();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  test('lists the runs with their state and links to the live dashboard and the logs', async () => {
    answerGets({ runs: { runs: [RUNNING_RUN, DONE_RUN], next_page_token: '' } });
    renderAt(<Runs />, 'runs');

    const row = (await screen.findByText('r-3fa09c1d22be')).closest('tr')!;
    expect(within(row).getByText('RUNNING')).toBeInTheDocument();
    expect(mockBackend.get).toHaveBeenCalledWith(`${RES}/runs`, { page_size: 100 }, undefined, expect.anything());

    const live = within(row).getByRole('link', { name: /live/i });
    expect(live).toHaveAttribute(
      'href',
      `/d/aifb-live?var-run_id=r-3fa09c1d22be&from=${RUNNING_RUN.created_at_ms - 60000}&to=now`
    );
    const logs = new URL(within(row).getByRole('link', { name: /logs/i }).getAttribute('href')!, 'http://grafana');
    expect(logs.pathname).toBe('/explore');
    const pane = Object.values(JSON.parse(logs.searchParams.get('panes')!))[0] as any;
    expect(pane.queries[0]).toMatchObject({
      datasource: { uid: 'aifb-loki' },
      expr: '{app="aifb", run_id="r-3fa09c1d22be"}',
    });
    expect(pane.range).toEqual({ from: String(RUNNING_RUN.created_at_ms - 60000), to: 'now' });

    const done = screen.getByText('r-000000000001').closest('tr')!;
    expect(within(done).getByText('SUCCEEDED')).toBeInTheDocument();
    expect(within(done).getByRole('link', { name: /live/i })).toHaveAttribute(
      'href',
      `/d/aifb-live?var-run_id=r-000000000001&from=${DONE_RUN.created_at_ms - 60000}&to=${DONE_RUN.ended_at_ms + 60000}`
    );
    // A run that has ended cannot be stopped.
    expect(within(done).queryByRole('button', { name: /stop/i })).not.toBeInTheDocument();
  });

  test('asks again every few seconds and shows the new state', async () => {
    jest.useFakeTimers();
    answerGets({ runs: { runs: [RUNNING_RUN] } });
    renderAt(<Runs />, 'runs');
    expect(await screen.findByText('RUNNING')).toBeInTheDocument();

    answerGets({ runs: { runs: [{ ...RUNNING_RUN, state: 'RUN_STATE_STOPPING' }] } });
    await act(async () => {
      jest.advanceTimersByTime(5000);
    });
    expect(await screen.findByText('STOPPING')).toBeInTheDocument();
    expect(mockBackend.get).toHaveBeenCalledTimes(2);
  });

  test('Stop asks for confirmation before calling runs/{id}/stop', async () => {
    answerGets({ runs: { runs: [RUNNING_RUN] } });
    mockBackend.post.mockResolvedValue({ ...RUNNING_RUN, state: 'RUN_STATE_STOPPING' });
    renderAt(<Runs />, 'runs');

    fireEvent.click(await screen.findByRole('button', { name: /stop/i }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/Stop run r-3fa09c1d22be\?/)).toBeInTheDocument();
    expect(mockBackend.post).not.toHaveBeenCalled();

    // Dismissing stops nothing.
    fireEvent.click(within(dialog).getByRole('button', { name: /cancel/i }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(mockBackend.post).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: /stop/i }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: /^stop$/i }));
    await waitFor(() =>
      expect(mockBackend.post).toHaveBeenCalledWith(`${RES}/runs/r-3fa09c1d22be/stop`, {}, expect.anything())
    );
  });

  test("shows aifbd's error when the list fails", async () => {
    answerGets({
      runs: fetchError(503, 'aifbd does not answer at 127.0.0.1:50051: connection refused', 'UNAVAILABLE'),
    });
    renderAt(<Runs />, 'runs');
    expect(await screen.findByText(/aifbd does not answer at 127.0.0.1:50051/)).toBeInTheDocument();
    expect(screen.getByText('aifbd did not list the runs')).toBeInTheDocument();
  });

  test('a Viewer gets no Stop button', async () => {
    mockConfig.bootData.user.orgRole = 'Viewer';
    try {
      answerGets({ runs: { runs: [RUNNING_RUN] } });
      renderAt(<Runs />, 'runs');
      expect(await screen.findByText('RUNNING')).toBeInTheDocument();
      expect(screen.queryByRole('button', { name: /stop/i })).not.toBeInTheDocument();
    } finally {
      mockConfig.bootData.user.orgRole = 'Editor';
    }
  });

  test('shows why a stop was refused', async () => {
    answerGets({ runs: { runs: [RUNNING_RUN] } });
    mockBackend.post.mockRejectedValue(
      fetchError(403, 'starting and stopping need the Editor role', 'PERMISSION_DENIED')
    );
    renderAt(<Runs />, 'runs');
    fireEvent.click(await screen.findByRole('button', { name: /stop/i }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: /^stop$/i }));
    expect(await screen.findByText(/need the Editor role/)).toBeInTheDocument();
    expect(screen.getByText('The run did not stop')).toBeInTheDocument();
  });
});
