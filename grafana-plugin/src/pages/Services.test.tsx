// The Services page: the list, Stop after confirmation, starting a service from its recipe's form.
import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { LLM_SIM, READY_SERVICE as SERVICE, RES, answerGets, fetchError, mockBackend, renderAt } from '../testutils';
import { Services } from './Services';

jest.mock('@grafana/runtime', () => require('../testutils').pluginPageMock());

const RECIPES = {
  recipes: [
    LLM_SIM.summary,
    { name: 'client-only', description: '', kind: 'client', has_service: false, has_client: true },
  ],
};

async function pickRecipe(name: string) {
  const select = screen.getByLabelText('Recipe');
  fireEvent.keyDown(select, { key: 'ArrowDown' });
  fireEvent.click(await screen.findByText(name, { selector: 'span' }));
  // The recipe's schema arrives, and its form with it.
  await screen.findByRole('button', { name: 'Start service' });
}

describe('Services page', () => {
  beforeEach(() => {
    jest.resetAllMocks();
  });

  test('lists the services, and ended ones on request', async () => {
    answerGets({ services: { services: [SERVICE] }, recipes: RECIPES });
    renderAt(<Services />, 'services');
    const row = (await screen.findByText('s-0c1d2e3f4a5b')).closest('tr')!;
    expect(within(row).getByText('READY')).toBeInTheDocument();
    expect(within(row).getByText('127.0.0.1:8001')).toBeInTheDocument();
    expect(mockBackend.get).toHaveBeenCalledWith(`${RES}/services`, undefined, undefined, expect.anything());

    fireEvent.click(screen.getByLabelText('Show ended'));
    await waitFor(() =>
      expect(mockBackend.get).toHaveBeenCalledWith(
        `${RES}/services`,
        { include_ended: true },
        undefined,
        expect.anything()
      )
    );
  });

  test('Stop asks for confirmation before calling services/{id}/stop', async () => {
    answerGets({ services: { services: [SERVICE] }, recipes: RECIPES });
    mockBackend.post.mockResolvedValue({ ...SERVICE, state: 'SERVICE_STATE_STOPPING' });
    renderAt(<Services />, 'services');
    fireEvent.click(await screen.findByRole('button', { name: /stop/i }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Stop service s-0c1d2e3f4a5b?')).toBeInTheDocument();
    expect(mockBackend.post).not.toHaveBeenCalled();
    fireEvent.click(within(dialog).getByRole('button', { name: /^stop$/i }));
    await waitFor(() =>
      expect(mockBackend.post).toHaveBeenCalledWith(`${RES}/services/s-0c1d2e3f4a5b/stop`, {}, expect.anything())
    );
  });

  test('starts a service of a recipe with a service part, with the values of its form', async () => {
    answerGets({ services: { services: [] }, recipes: RECIPES, 'recipes/llm-sim': LLM_SIM });
    mockBackend.post.mockResolvedValue({ ...SERVICE, id: 's-111111111111', state: 'SERVICE_STATE_PENDING' });
    renderAt(<Services />, 'services');
    expect(await screen.findByText('No services.')).toBeInTheDocument();

    await pickRecipe('llm-sim');
    expect(screen.queryByText('client-only')).not.toBeInTheDocument();
    fireEvent.change(await screen.findByLabelText(/^requests/), { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start service' }));
    await waitFor(() =>
      expect(mockBackend.post).toHaveBeenCalledWith(
        `${RES}/services`,
        { recipe: 'llm-sim', params: { rate: 10, requests: 5, workload: 'chat', stream: true } },
        expect.anything()
      )
    );
    expect(await screen.findByText('Service s-111111111111 is starting')).toBeInTheDocument();
  });

  test('form validation and a refusal by aifbd are shown', async () => {
    answerGets({ services: { services: [] }, recipes: RECIPES, 'recipes/llm-sim': LLM_SIM });
    mockBackend.post.mockRejectedValue(
      fetchError(403, 'starting a service needs the Editor role', 'PERMISSION_DENIED')
    );
    renderAt(<Services />, 'services');
    await screen.findByText('No services.');
    await pickRecipe('llm-sim');
    fireEvent.click(screen.getByRole('button', { name: 'Start service' }));
    expect(await screen.findByText('requests is required')).toBeInTheDocument();
    expect(mockBackend.post).not.toHaveBeenCalled();

    fireEvent.change(screen.getByLabelText(/^requests/), { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start service' }));
    expect(await screen.findByText(/needs the Editor role \(PERMISSION_DENIED\)/)).toBeInTheDocument();
  });

  test("shows aifbd's error when the list fails", async () => {
    answerGets({ services: fetchError(500, 'aifbd refused the token', 'UNAUTHENTICATED'), recipes: RECIPES });
    renderAt(<Services />, 'services');
    expect(await screen.findByText(/aifbd refused the token/)).toBeInTheDocument();
  });
});
