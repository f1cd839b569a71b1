// Recipes: the recipes aifbd loaded, and for the one picked (recipes/<name>) a form generated
// from its parameter schema with Start. A run of a recipe with a long-lived service may use a
// READY service of the same recipe instead of starting its own. When aifbd refuses a value its
// sentence names the parameter ("parameter 'rate': ..."): it is shown beside that field.
import React, { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { SelectableValue } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Field, LinkButton, Select, Stack, Text, TextLink, useStyles2 } from '@grafana/ui';
import { api, ApiError, apiError, paramNamed, Recipe, RoleSlurm, shortState } from '../api';
import { ErrorBox, usePoll } from '../components/common';
import { ParamForm } from '../components/ParamForm';
import { FormValues, toParamValues } from '../components/params';
import { ROUTES, prefixRoute } from '../constants';
import { getStyles } from './Runs';

function RecipeList() {
  const s = useStyles2(getStyles);
  const recipes = usePoll(() => api.listRecipes(), 0, []);
  return (
    <Stack direction="column" gap={2}>
      <ErrorBox title="aifbd did not list the recipes" error={recipes.error} />
      {recipes.data && (
        <table className={s.table} aria-label="recipes">
          <thead>
            <tr>
              <th>Recipe</th>
              <th>Kind</th>
              <th>Description</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {recipes.data.map((r) => (
              <tr key={r.name}>
                <td>
                  <TextLink href={prefixRoute(`${ROUTES.Recipes}/${r.name}`)} inline={false}>
                    {r.name}
                  </TextLink>
                </td>
                <td>{r.kind}</td>
                <td>{r.description}</td>
                <td>
                  {r.has_client ? (
                    <LinkButton size="sm" icon="play" href={prefixRoute(`${ROUTES.Recipes}/${r.name}`)}>
                      Start…
                    </LinkButton>
                  ) : (
                    <LinkButton size="sm" variant="secondary" href={prefixRoute(ROUTES.Services)}>
                      Services…
                    </LinkButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Stack>
  );
}

// Splits aifbd's refusal: a sentence naming a parameter of the form goes beside that field,
// anything else above the form.
export function splitError(e: ApiError, recipe: Recipe): { field?: Record<string, string>; general?: ApiError } {
  const name = paramNamed(e.message);
  if (name && recipe.params.some((p) => p.name === name)) {
    return { field: { [name]: e.message } };
  }
  return { general: e };
}

function StartRun({ recipe }: { recipe: Recipe }) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [serviceId, setServiceId] = useState<string | undefined>(undefined);
  const name = recipe.summary.name;
  const services = usePoll(() => (recipe.summary.has_service ? api.listServices(false) : Promise.resolve([])), 0, [
    name,
  ]);
  const ready = (services.data ?? []).filter((sv) => sv.recipe === name && shortState(sv.state) === 'READY');
  const options: Array<SelectableValue<string>> = ready.map((sv) => ({
    label: `${sv.id} (${sv.endpoint})`,
    value: sv.id,
  }));

  const start = async (values: FormValues) => {
    setBusy(true);
    setFieldErrors({});
    setError(undefined);
    try {
      const run = await api.startRun(name, toParamValues(recipe.params, values), serviceId);
      navigate(prefixRoute(`${ROUTES.Runs}/${run.id}`));
    } catch (e) {
      const split = splitError(apiError(e), recipe);
      setFieldErrors(split.field ?? {});
      setError(split.general);
      setBusy(false);
    }
  };

  return (
    <Stack direction="column" gap={2}>
      <ErrorBox title={`aifbd did not start ${name}`} error={error} />
      <ParamForm specs={recipe.params} submitLabel="Start" busy={busy} serverErrors={fieldErrors} onSubmit={start}>
        {options.length > 0 && (
          <Field label="Service" description="Run against a long-lived service instead of starting one">
            <Select
              width={40}
              isClearable
              placeholder="start its own"
              options={options}
              value={serviceId ?? null}
              onChange={(o) => setServiceId(o?.value)}
            />
          </Field>
        )}
      </ParamForm>
    </Stack>
  );
}

// "image ${image}, gpus ${tensor_parallel_size}" for a role's Slurm job, or nothing.
function slurmText(s?: RoleSlurm): string {
  if (!s) {
    return '';
  }
  return (Object.entries(s) as Array<[string, string]>)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
    .join(', ');
}

function SlurmJobs({ recipe }: { recipe: Recipe }) {
  const roles = [
    ['Service', slurmText(recipe.service_slurm)],
    ['Client', slurmText(recipe.client_slurm)],
  ].filter(([, text]) => text);
  if (!roles.length) {
    return null;
  }
  return (
    <div aria-label="slurm jobs">
      {roles.map(([role, text]) => (
        <Text key={role} element="p" color="secondary">
          {role}&apos;s Slurm job (on a cluster): {text}
        </Text>
      ))}
    </div>
  );
}

function RecipeDetail({ name }: { name: string }) {
  const recipe = usePoll(() => api.getRecipe(name), 0, [name]);
  const r = recipe.data;
  return (
    <Stack direction="column" gap={2}>
      <ErrorBox title={`aifbd did not return recipe ${name}`} error={recipe.error} />
      {r && (
        <>
          <Text element="h2">{r.summary.name}</Text>
          <Text color="secondary">{r.summary.description}</Text>
          <SlurmJobs recipe={r} />
          {r.summary.has_client ? (
            <StartRun key={name} recipe={r} />
          ) : (
            <Text>
              {name} is a service only: start it from <TextLink href={prefixRoute(ROUTES.Services)}>Services</TextLink>.
            </Text>
          )}
        </>
      )}
    </Stack>
  );
}

export function Recipes() {
  const { name } = useParams<{ name: string }>();
  return <PluginPage>{name ? <RecipeDetail name={name} /> : <RecipeList />}</PluginPage>;
}

export default Recipes;
