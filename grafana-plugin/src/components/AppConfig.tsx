// The app's configuration page: where aifbd answers (jsonData.aifbdAddress) and its bearer
// token (secureJsonData.aifbdToken, which Grafana encrypts and never sends back: the page only
// learns whether one is set). The backend reads both from every request's app settings.
import React, { FormEvent, useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Button, Field, FieldSet, Input, SecretInput } from '@grafana/ui';
import { ApiError, apiError } from '../api';
import { ErrorBox } from './common';

export interface AppSettings {
  aifbdAddress?: string;
}

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

export const DEFAULT_ADDRESS = '127.0.0.1:50051';

// host:port (a name or an address, IPv6 in brackets) or unix:PATH, as aifbd's --listen takes.
export function addressProblem(address: string): string | undefined {
  const a = address.trim();
  if (a === '' || /^unix:.+/.test(a) || /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(a)) {
    return undefined;
  }
  return 'must be host:port or unix:PATH';
}

export function AppConfig({ plugin }: AppConfigProps) {
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [address, setAddress] = useState(jsonData?.aifbdAddress ?? '');
  const [token, setToken] = useState('');
  const [tokenSet, setTokenSet] = useState(Boolean(secureJsonFields?.aifbdToken));
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const problem = addressProblem(address);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problem) {
      return;
    }
    const data: Partial<PluginMeta<AppSettings>> = {
      enabled,
      pinned,
      jsonData: { aifbdAddress: address.trim() || undefined },
      // Left out when untouched, so a token set earlier stays; "" after Reset removes it.
      secureJsonData: tokenSet ? undefined : { aifbdToken: token },
    };
    try {
      await lastValueFrom(
        getBackendSrv().fetch({ url: `/api/plugins/${plugin.meta.id}/settings`, method: 'POST', data })
      );
      // Grafana keeps the plugin's settings from page load: a reload is the supported way to apply them.
      window.location.reload();
    } catch (err) {
      setError(apiError(err));
    }
  };

  return (
    <form onSubmit={submit}>
      <FieldSet label="aifbd">
        <Field
          label="Address"
          description={`aifbd's gRPC address: host:port or unix:PATH (default ${DEFAULT_ADDRESS})`}
          invalid={Boolean(problem)}
          error={problem ? `Address ${problem}` : undefined}
          htmlFor="aifbd-address"
        >
          <Input
            id="aifbd-address"
            width={60}
            value={address}
            placeholder={DEFAULT_ADDRESS}
            onChange={(e) => setAddress(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Token"
          description="aifbd's bearer token (AIFB_TOKEN); needed when aifbd listens beyond loopback"
          htmlFor="aifbd-token"
        >
          <SecretInput
            id="aifbd-token"
            width={60}
            value={token}
            isConfigured={tokenSet}
            placeholder="token"
            onChange={(e) => setToken(e.currentTarget.value)}
            onReset={() => {
              setToken('');
              setTokenSet(false);
            }}
          />
        </Field>
        <ErrorBox title="Grafana did not save the settings" error={error} />
        <Button type="submit" disabled={Boolean(problem)}>
          Save
        </Button>
      </FieldSet>
    </form>
  );
}

export default AppConfig;
