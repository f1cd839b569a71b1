// A form generated from a recipe's parameter schema: one field per parameter, of the kind its
// type asks for, with the description and unit as help. It knows nothing of runs or services:
// the page gives it the submit label and the call, and the messages to show beside fields
// (aifbd's validation sentence names the parameter, the page maps it to the field).
import React, { FormEvent, useState } from 'react';
import { Alert, Button, Field, FieldSet, Input, Select, Switch } from '@grafana/ui';
import { canStartAndStop, ParamSpec } from '../api';
import { FormValues, initialValues, shortType, validateParams } from './params';

interface Props {
  specs: ParamSpec[];
  submitLabel: string;
  busy?: boolean;
  // Messages from the server, by parameter name.
  serverErrors?: Record<string, string>;
  onSubmit: (values: FormValues) => void;
  children?: React.ReactNode;
}

function describe(s: ParamSpec): string {
  const bits = [s.description];
  if (s.unit) {
    bits.push(`(${s.unit})`);
  }
  if (s.has_min || s.has_max) {
    bits.push(`range ${s.has_min ? s.min : '…'} to ${s.has_max ? s.max : '…'}`);
  }
  return bits.filter(Boolean).join(' ');
}

export function ParamForm({ specs, submitLabel, busy, serverErrors, onSubmit, children }: Props) {
  const [values, setValues] = useState<FormValues>(() => initialValues(specs));
  const [errors, setErrors] = useState<Record<string, string>>({});

  const set = (name: string, value: string) => {
    setValues((v) => ({ ...v, [name]: value }));
    setErrors(({ [name]: _, ...rest }) => rest);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateParams(specs, values);
    setErrors(found);
    if (Object.keys(found).length === 0) {
      onSubmit(values);
    }
  };

  const field = (s: ParamSpec) => {
    const id = `param-${s.name}`;
    const value = values[s.name] ?? '';
    switch (shortType(s.type)) {
      case 'BOOL':
        return (
          <Switch id={id} value={value === 'true'} onChange={(e) => set(s.name, String(e.currentTarget.checked))} />
        );
      case 'ENUM':
        return (
          <Select
            inputId={id}
            width={40}
            value={value || null}
            options={(s.choices ?? []).map((c) => ({ label: c, value: c }))}
            onChange={(o) => set(s.name, o?.value ?? '')}
            isClearable={!s.required}
          />
        );
      default:
        return (
          <Input
            id={id}
            width={40}
            value={value}
            inputMode={shortType(s.type) === 'STRING' ? 'text' : 'decimal'}
            onChange={(e) => set(s.name, e.currentTarget.value)}
          />
        );
    }
  };

  return (
    <form onSubmit={submit} aria-label="parameters">
      <FieldSet>
        {specs.map((s) => {
          const error = errors[s.name] ? `${s.name} ${errors[s.name]}` : serverErrors?.[s.name];
          return (
            <Field
              key={s.name}
              data-testid={`param-field-${s.name}`}
              label={`${s.name}${s.required ? ' *' : ''}`}
              description={describe(s)}
              invalid={Boolean(error)}
              error={error}
              htmlFor={`param-${s.name}`}
            >
              {field(s)}
            </Field>
          );
        })}
        {children}
        {!canStartAndStop() && (
          <Alert severity="info" title="Starting needs the Editor role">
            Your role in this organization can look at recipes, runs and services but not start them.
          </Alert>
        )}
        <Button type="submit" icon="play" disabled={busy || !canStartAndStop()}>
          {submitLabel}
        </Button>
      </FieldSet>
    </form>
  );
}
