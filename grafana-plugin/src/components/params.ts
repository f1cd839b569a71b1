// The parameter schema's rules, checked in the browser before Start so that a person sees a
// mistake at once; aifbd checks them again (and more) and its message wins when it answers.
// A form holds every value as text, as aifbd does; a boolean is "true" or "false".
import { ParamSpec, ParamValues } from '../api';

export type FormValues = Record<string, string>;

export function shortType(type: string): string {
  return (type || '').replace(/^PARAM_TYPE_/, '');
}

export function initialValues(specs: ParamSpec[]): FormValues {
  const v: FormValues = {};
  for (const s of specs) {
    v[s.name] = s.default_value ?? '';
  }
  return v;
}

function checkNumber(s: ParamSpec, text: string, integer: boolean): string | undefined {
  const n = Number(text);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    return integer ? 'must be a whole number' : 'must be a number';
  }
  if (s.has_min && n < s.min) {
    return `must be at least ${s.min}`;
  }
  if (s.has_max && n > s.max) {
    return `must be at most ${s.max}`;
  }
  return undefined;
}

export function validateParam(s: ParamSpec, text: string): string | undefined {
  const t = text.trim();
  if (t === '') {
    return s.required ? 'is required' : undefined;
  }
  switch (shortType(s.type)) {
    case 'INT':
      return checkNumber(s, t, true);
    case 'FLOAT':
      return checkNumber(s, t, false);
    case 'ENUM':
      return s.choices?.length && !s.choices.includes(t) ? `must be one of ${s.choices.join(', ')}` : undefined;
    default:
      return undefined;
  }
}

export function validateParams(specs: ParamSpec[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const s of specs) {
    const e = validateParam(s, values[s.name] ?? '');
    if (e) {
      errors[s.name] = e;
    }
  }
  return errors;
}

// What Start sends: only the fields a person filled in (aifbd fills the defaults), numbers as JSON
// numbers and booleans as JSON booleans, the rest as typed.
export function toParamValues(specs: ParamSpec[], values: FormValues): ParamValues {
  const out: ParamValues = {};
  for (const s of specs) {
    const t = (values[s.name] ?? '').trim();
    if (t === '') {
      continue;
    }
    const type = shortType(s.type);
    if (type === 'INT' || type === 'FLOAT') {
      out[s.name] = Number(t);
    } else if (type === 'BOOL') {
      out[s.name] = t === 'true';
    } else {
      out[s.name] = t;
    }
  }
  return out;
}
