// The data source's settings: aifbd's address (jsonData.aifbdAddress) and token
// (secureJsonData.aifbdToken), the same keys as the app's; "Save & test" asks the backend's
// CheckHealth whether aifbd answers there.
import React from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Field, Input, SecretInput } from '@grafana/ui';
import { AifbOptions, AifbSecureOptions } from '../types';

type Props = DataSourcePluginOptionsEditorProps<AifbOptions, AifbSecureOptions>;

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields, secureJsonData } = options;
  return (
    <>
      <Field
        label="aifbd address"
        description="host:port or unix:PATH (default 127.0.0.1:50051)"
        htmlFor="ds-aifbd-address"
      >
        <Input
          id="ds-aifbd-address"
          width={50}
          value={jsonData.aifbdAddress ?? ''}
          placeholder="127.0.0.1:50051"
          onChange={(e) =>
            onOptionsChange({ ...options, jsonData: { ...jsonData, aifbdAddress: e.currentTarget.value } })
          }
        />
      </Field>
      <Field
        label="aifbd token"
        description="aifbd's bearer token, when it listens beyond loopback"
        htmlFor="ds-aifbd-token"
      >
        <SecretInput
          id="ds-aifbd-token"
          width={50}
          isConfigured={Boolean(secureJsonFields?.aifbdToken)}
          value={secureJsonData?.aifbdToken ?? ''}
          placeholder="token"
          onChange={(e) => onOptionsChange({ ...options, secureJsonData: { aifbdToken: e.currentTarget.value } })}
          onReset={() =>
            onOptionsChange({
              ...options,
              secureJsonFields: { ...secureJsonFields, aifbdToken: false },
              secureJsonData: { ...secureJsonData, aifbdToken: '' },
            })
          }
        />
      </Field>
    </>
  );
}
