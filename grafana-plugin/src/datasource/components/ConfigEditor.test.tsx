// The data source's settings: the address in jsonData, the token in secureJsonData.
import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { DataSourceSettings } from '@grafana/data';
import { AifbOptions, AifbSecureOptions } from '../types';
import { ConfigEditor } from './ConfigEditor';

function renderEditor(jsonData: AifbOptions, secureJsonFields: Record<string, boolean> = {}) {
  const onOptionsChange = jest.fn();
  const options = { jsonData, secureJsonFields, secureJsonData: {} } as unknown as DataSourceSettings<
    AifbOptions,
    AifbSecureOptions
  >;
  render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
  return onOptionsChange;
}

describe('Data source settings', () => {
  test('aifbd address goes to jsonData', () => {
    const onOptionsChange = renderEditor({ aifbdAddress: '127.0.0.1:50051' });
    const input = screen.getByLabelText(/^aifbd address/);
    expect(input).toHaveValue('127.0.0.1:50051');
    fireEvent.change(input, { target: { value: 'aifbd:50051' } });
    expect(onOptionsChange.mock.calls[0][0].jsonData).toEqual({ aifbdAddress: 'aifbd:50051' });
  });

  test('the token goes to secureJsonData and a set one can be reset', () => {
    const onOptionsChange = renderEditor({}, { aifbdToken: true });
    expect(screen.getByDisplayValue('configured')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: /reset/i }));
    expect(onOptionsChange.mock.calls[0][0]).toMatchObject({
      secureJsonFields: { aifbdToken: false },
      secureJsonData: { aifbdToken: '' },
    });
  });
});
