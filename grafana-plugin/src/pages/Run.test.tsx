// The Run page: result summary, events, links, Stop after confirmation, and a 404 shown.
import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { DONE_RUN, RES, RUNNING_RUN, answerGets, fetchError, mockBackend, renderAt } from '../testutils';
import { Run } from './Run';

jest.mock('@grafana/runtime', () => require('../testutils').pluginPageMock());

const EVENTS = {
  events: [
    {
      seq: 7,
      time_ms: 1790000001000,
      kind: 'EVENT_KIND_RUN_STATE',
      subject_id: DONE_RUN.id,
      from_state: 'PENDING',
      to_state: 'SUBMITTED',
      reason: '',
      recipe: 'llm-sim',
    },
    {
      seq: 9,
      time_ms: 1790000060000,
      kind: 'EVENT_KIND_RUN_STATE',
      subject_id: DONE_RUN.id,
      from_state: 'RUNNING',
      to_state: 'SUCCEEDED',
      reason: 'the client finished',
      recipe: 'llm-sim',
    },
  ],
};

describe('Run page', () => {
  beforeEach(() => {
    jest.resetAllMocks();
  });

  test('shows the result summary, the events and the links of a finished run', async () => {
    answerGets({ [`runs/${DONE_RUN.id}`]: DONE_RUN, [`runs/${DONE_RUN.id}/events`]: EVENTS });
    renderAt(<Run />, `runs/${DONE_RUN.id}`, 'runs/:id');

    const summary = await screen.findByRole('table', { name: 'result summary' });
    expect(within(within(summary).getByText('ttft_p50_ms').closest('tr')!).getByText('51.25')).toBeInTheDocument();
    expect(within(summary).getByText('tokens/s')).toBeInTheDocument();

    const events = screen.getByRole('table', { name: 'events' });
    const last = within(events).getByText('SUCCEEDED').closest('tr')!;
    expect(within(last).getByText('RUNNING')).toBeInTheDocument();
    expect(within(last).getByText('2026-09-21 14:14:20')).toBeInTheDocument();

    expect(screen.getByText('rate=30')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /post-mortem/i })).toHaveAttribute(
      'href',
      `/d/aifb-postmortem?var-run_id=${DONE_RUN.id}&from=${DONE_RUN.created_at_ms - 60000}&to=${DONE_RUN.ended_at_ms + 60000}`
    );
    expect(screen.getByRole('link', { name: /live dashboard/i }).getAttribute('href')).toContain(
      `/d/aifb-live?var-run_id=${DONE_RUN.id}`
    );
    expect(screen.getByRole('link', { name: /logs in explore/i }).getAttribute('href')).toContain('/explore?');
    expect(screen.queryByRole('button', { name: /stop/i })).not.toBeInTheDocument();
    expect(mockBackend.get).toHaveBeenCalledWith(
      `${RES}/runs/${DONE_RUN.id}/events`,
      undefined,
      undefined,
      expect.anything()
    );
  });

  test('a running run can be stopped after confirmation', async () => {
    answerGets({ [`runs/${RUNNING_RUN.id}`]: RUNNING_RUN, [`runs/${RUNNING_RUN.id}/events`]: { events: [] } });
    mockBackend.post.mockResolvedValue({ ...RUNNING_RUN, state: 'RUN_STATE_STOPPING' });
    renderAt(<Run />, `runs/${RUNNING_RUN.id}`, 'runs/:id');

    expect(await screen.findByText('The summary comes when the run ends.')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: /stop/i }));
    expect(mockBackend.post).not.toHaveBeenCalled();
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: /^stop$/i }));
    await waitFor(() =>
      expect(mockBackend.post).toHaveBeenCalledWith(`${RES}/runs/${RUNNING_RUN.id}/stop`, {}, expect.anything())
    );
  });

  test('an unknown run shows the 404 message', async () => {
    answerGets({ 'runs/r-ffffffffffff': fetchError(404, "no run 'r-ffffffffffff'", 'NOT_FOUND') });
    renderAt(<Run />, 'runs/r-ffffffffffff', 'runs/:id');
    expect(await screen.findByText(/no run 'r-ffffffffffff' \(NOT_FOUND\)/)).toBeInTheDocument();
    expect(screen.getByText('aifbd did not return run r-ffffffffffff')).toBeInTheDocument();
  });
});
