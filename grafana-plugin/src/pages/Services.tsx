// Services: long-lived services (a model server, a database) that several runs can share.
// The list is asked again every few seconds; Stop asks first; below it, a recipe with a
// service part can be started with the form generated from its parameter schema.
import React, { useState } from 'react';
import { SelectableValue } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, Field, InlineField, InlineSwitch, Select, Stack, Text, useStyles2 } from '@grafana/ui';
import { api, ApiError, apiError, Recipe } from '../api';
import { ErrorBox, StateBadge, StopButton, formatTime, usePoll } from '../components/common';
import { ParamForm } from '../components/ParamForm';
import { FormValues, toParamValues } from '../components/params';
import { REFRESH_MS } from '../constants';
import { splitError } from './Recipes';
import { getStyles } from './Runs';

function StartService({ onStarted }: { onStarted: () => void }) {
  const recipes = usePoll(() => api.listRecipes(), 0, []);
  const [name, setName] = useState<string | undefined>(undefined);
  const [recipe, setRecipe] = useState<Recipe | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<string | undefined>(undefined);
  const options: Array<SelectableValue<string>> = (recipes.data ?? [])
    .filter((r) => r.has_service)
    .map((r) => ({ label: r.name, value: r.name, description: r.description }));

  const pick = async (n?: string) => {
    setName(n);
    setRecipe(undefined);
    setError(undefined);
    setFieldErrors({});
    if (!n) {
      return;
    }
    try {
      setRecipe(await api.getRecipe(n));
    } catch (e) {
      setError(apiError(e));
    }
  };

  const start = async (values: FormValues) => {
    if (!recipe) {
      return;
    }
    setBusy(true);
    setError(undefined);
    setFieldErrors({});
    try {
      const sv = await api.startService(recipe.summary.name, toParamValues(recipe.params, values));
      setStarted(sv.id);
      onStarted();
    } catch (e) {
      const split = splitError(apiError(e), recipe);
      setFieldErrors(split.field ?? {});
      setError(split.general);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack direction="column" gap={2}>
      <Text element="h3">Start a service</Text>
      <ErrorBox title="aifbd did not list the recipes" error={recipes.error} />
      <Field label="Recipe">
        <Select
          inputId="service-recipe"
          width={40}
          options={options}
          value={name ?? null}
          onChange={(o) => pick(o?.value)}
        />
      </Field>
      <ErrorBox title={`aifbd did not start ${name ?? 'the service'}`} error={error} />
      {started && <Alert severity="success" title={`Service ${started} is starting`} />}
      {recipe && (
        <ParamForm
          key={recipe.summary.name}
          specs={recipe.params}
          submitLabel="Start service"
          busy={busy}
          serverErrors={fieldErrors}
          onSubmit={start}
        />
      )}
    </Stack>
  );
}

export function Services() {
  const s = useStyles2(getStyles);
  const [includeEnded, setIncludeEnded] = useState(false);
  const [stopError, setStopError] = useState<ApiError | undefined>(undefined);
  const services = usePoll(() => api.listServices(includeEnded), REFRESH_MS, [includeEnded]);
  const list = services.data ?? [];

  return (
    <PluginPage>
      <Stack direction="column" gap={2}>
        <InlineField label="Show ended">
          <InlineSwitch value={includeEnded} onChange={(e) => setIncludeEnded(e.currentTarget.checked)} />
        </InlineField>
        <ErrorBox title="aifbd did not list the services" error={services.error} />
        <ErrorBox title="The service did not stop" error={stopError} />
        {!services.loading && !services.error && list.length === 0 && <Text color="secondary">No services.</Text>}
        {list.length > 0 && (
          <table className={s.table} aria-label="services">
            <thead>
              <tr>
                <th>Service</th>
                <th>Recipe</th>
                <th>State</th>
                <th>Endpoint</th>
                <th>Created</th>
                <th>Reason</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((sv) => (
                <tr key={sv.id}>
                  <td>{sv.id}</td>
                  <td>{sv.recipe}</td>
                  <td>
                    <StateBadge state={sv.state} />
                  </td>
                  <td>{sv.endpoint}</td>
                  <td>{formatTime(sv.created_at_ms)}</td>
                  <td className={s.reason}>{sv.reason}</td>
                  <td>
                    <StopButton
                      what="service"
                      id={sv.id}
                      state={sv.state}
                      stop={api.stopService}
                      onDone={(e) => {
                        setStopError(e);
                        services.refresh();
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <StartService onStarted={services.refresh} />
      </Stack>
    </PluginPage>
  );
}

export default Services;
