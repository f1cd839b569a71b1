// The query editor: the kind first, then only the options that kind reads (docs/grafana-plugin.md).
// Text options accept dashboard variables ($run_id). A required option left empty is marked so
// the person sees why the backend answers 400.
import React from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, Input, Select, Stack } from '@grafana/ui';
import { DataSource } from '../datasource';
import { AifbOptions, AifbQuery, HealthSection, KIND_FIELDS, KINDS, QueryKind } from '../types';

type Props = QueryEditorProps<DataSource, AifbQuery, AifbOptions>;

const STATES = ['PENDING', 'SUBMITTED', 'STARTING', 'RUNNING', 'STOPPING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const SECTIONS: Array<SelectableValue<HealthSection>> = [
  { value: 'daemon', label: 'aifbd' },
  { value: 'slurm', label: 'Slurm' },
  { value: 'slurm_nodes', label: 'Slurm nodes' },
];

const LABELS: Record<string, { label: string; placeholder: string; tooltip: string }> = {
  runId: { label: 'Run', placeholder: '$run_id or r-…', tooltip: "the run's id" },
  recipe: { label: 'Recipe', placeholder: 'llm-sim', tooltip: "the recipe's name" },
  metric: { label: 'Metric', placeholder: 'all', tooltip: 'one metric of the result summary only' },
  params: {
    label: 'Parameters',
    placeholder: 'rate,concurrency',
    tooltip: 'parameters to add as columns: a list with commas, or a multi-value variable',
  },
};

export function QueryEditor({ query, onChange, onRunQuery }: Props) {
  const kind: QueryKind = query.queryType ?? 'runs';
  const { fields, required } = KIND_FIELDS[kind];

  const change = (patch: Partial<AifbQuery>, run = false) => {
    onChange({ ...query, ...patch });
    if (run) {
      onRunQuery();
    }
  };

  const text = (k: 'runId' | 'recipe' | 'metric' | 'params') => {
    const l = LABELS[k];
    const missing = required.includes(k) && !query[k];
    return (
      <InlineField
        key={k}
        label={l.label}
        tooltip={l.tooltip}
        invalid={missing}
        error={missing ? 'required' : undefined}
      >
        <Input
          aria-label={l.label}
          width={24}
          value={query[k] ?? ''}
          placeholder={l.placeholder}
          onChange={(e) => change({ [k]: e.currentTarget.value })}
          onBlur={onRunQuery}
        />
      </InlineField>
    );
  };

  return (
    <Stack gap={0} wrap="wrap">
      <InlineField label="Kind">
        <Select
          aria-label="Kind"
          width={22}
          options={KINDS}
          value={kind}
          onChange={(o) => change({ queryType: o.value as QueryKind }, true)}
        />
      </InlineField>
      {fields.map((k) => {
        if (k === 'state') {
          return (
            <InlineField key={k} label="State">
              <Select
                aria-label="State"
                width={18}
                isClearable
                placeholder="any"
                options={STATES.map((s) => ({ label: s, value: s }))}
                value={query.state || null}
                onChange={(o) => change({ state: o?.value }, true)}
              />
            </InlineField>
          );
        }
        if (k === 'section') {
          return (
            <InlineField key={k} label="Section">
              <Select
                aria-label="Section"
                width={18}
                options={SECTIONS}
                value={query.section ?? 'daemon'}
                onChange={(o) => change({ section: o.value }, true)}
              />
            </InlineField>
          );
        }
        return text(k as 'runId' | 'recipe' | 'metric' | 'params');
      })}
    </Stack>
  );
}
