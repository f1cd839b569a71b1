// The app's routes: Grafana mounts the root page, and each path opens its page.
import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { render, screen } from '@testing-library/react';
import { ROUTER_FUTURE, answerGets } from '../testutils';
import App from './App';

jest.mock('@grafana/runtime', () => require('../testutils').pluginPageMock());

// Grafana mounts the app's root page with routes relative to /a/aifb-controlplane-app/.
function renderApp(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]} future={ROUTER_FUTURE}>
      <App {...({ basename: 'a/aifb-controlplane-app', path: '', query: {} } as unknown as AppRootProps)} />
    </MemoryRouter>
  );
}

describe('App routes', () => {
  beforeEach(() => {
    jest.resetAllMocks();
    answerGets({ runs: { runs: [] }, recipes: { recipes: [] }, services: { services: [] } });
  });

  test('opens on the runs', async () => {
    renderApp('/');
    expect(await screen.findByRole('link', { name: /start a run/i })).toBeInTheDocument();
  });

  test('has the services page', async () => {
    renderApp('/services');
    expect(await screen.findByText('Start a service')).toBeInTheDocument();
  });
});
