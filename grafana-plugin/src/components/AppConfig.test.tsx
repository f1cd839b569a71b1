// The configuration page: what it shows, what it saves where (jsonData, secureJsonData), what it refuses.
import React from 'react';
import { of, throwError } from 'rxjs';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { PluginType } from '@grafana/data';
import { mockBackend } from '../testutils';
import { AppConfig, AppConfigProps, addressProblem } from './AppConfig';

jest.mock('@grafana/runtime', () => require('../testutils').pluginPageMock());

function props(jsonData: object, secureJsonFields: object = {}): AppConfigProps {
  return {
    plugin: {
      meta: {
        id: 'aifb-controlplane-app',
        name: 'aifb',
        type: PluginType.app,
        enabled: true,
        pinned: true,
        jsonData,
        secureJsonFields,
      },
    },
    query: {},
  } as unknown as AppConfigProps;
}

describe('App configuration page', () => {
  const reload = jest.fn();

  beforeEach(() => {
    jest.resetAllMocks();
    Object.defineProperty(window, 'location', { value: { reload }, writable: true });
  });

  test('shows the address and whether a token is set', () => {
    render(<AppConfig {...props({ aifbdAddress: 'aifbd:50051' }, { aifbdToken: true })} />);
    expect(screen.getByLabelText(/^Address/)).toHaveValue('aifbd:50051');
    expect(screen.getByDisplayValue('configured')).toBeInTheDocument();
  });

  test('saves aifbdAddress in jsonData and aifbdToken in secureJsonData', async () => {
    mockBackend.fetch.mockReturnValue(of({ data: {} }));
    render(<AppConfig {...props({})} />);
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: ' 10.0.0.5:50051 ' } });
    fireEvent.change(screen.getByLabelText(/^Token/), { target: { value: '0123456789abcdef' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(mockBackend.fetch).toHaveBeenCalledWith({
        url: '/api/plugins/aifb-controlplane-app/settings',
        method: 'POST',
        data: {
          enabled: true,
          pinned: true,
          jsonData: { aifbdAddress: '10.0.0.5:50051' },
          secureJsonData: { aifbdToken: '0123456789abcdef' },
        },
      })
    );
    expect(reload).toHaveBeenCalled();
  });

  test('keeps a token set earlier when it is not touched', async () => {
    mockBackend.fetch.mockReturnValue(of({ data: {} }));
    render(<AppConfig {...props({ aifbdAddress: 'unix:/run/aifbd.sock' }, { aifbdToken: true })} />);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(mockBackend.fetch).toHaveBeenCalled());
    expect(mockBackend.fetch.mock.calls[0][0].data.secureJsonData).toBeUndefined();
  });

  test('refuses an address that is not host:port or unix:PATH', () => {
    render(<AppConfig {...props({})} />);
    fireEvent.change(screen.getByLabelText(/^Address/), { target: { value: 'http://aifbd' } });
    expect(screen.getByText('Address must be host:port or unix:PATH')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
    expect(addressProblem('[::1]:50051')).toBeUndefined();
    expect(addressProblem('aifbd')).toBeDefined();
  });

  test("shows Grafana's error when saving fails", async () => {
    mockBackend.fetch.mockReturnValue(throwError(() => ({ status: 403, data: { message: 'Permission denied' } })));
    render(<AppConfig {...props({})} />);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Permission denied')).toBeInTheDocument();
    expect(reload).not.toHaveBeenCalled();
  });
});
