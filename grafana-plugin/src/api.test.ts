// The helpers every page relies on: aifbd's error sentence kept, parameter names found in
// validation messages, state names, and the schema's rules applied to form values.
import { apiError, isFinal, paramNamed, shortState } from './api';
import { toParamValues, validateParam } from './components/params';
import { LLM_SIM } from './testutils';

jest.mock('@grafana/runtime', () => require('./testutils').pluginPageMock());

describe('api helpers', () => {
  test("apiError keeps aifbd's sentence and code", () => {
    expect(apiError({ status: 409, data: { error: 'run r-1 has ended', code: 'FAILED_PRECONDITION' } })).toEqual({
      message: 'run r-1 has ended',
      code: 'FAILED_PRECONDITION',
      status: 409,
    });
    expect(apiError({ status: 502, statusText: 'Bad Gateway' }).message).toBe('Bad Gateway');
    expect(apiError(undefined).message).toBe('request failed (HTTP ?)');
  });

  test('paramNamed finds the parameter of a validation message', () => {
    expect(paramNamed("parameter 'rate': 0 is below the minimum 0.1")).toBe('rate');
    expect(paramNamed('unknown recipe')).toBeUndefined();
  });

  test('states', () => {
    expect(shortState('RUN_STATE_RUNNING')).toBe('RUNNING');
    expect(shortState('SERVICE_STATE_READY')).toBe('READY');
    expect(isFinal('RUN_STATE_CANCELLED')).toBe(true);
    expect(isFinal('SERVICE_STATE_STOPPED')).toBe(true);
    expect(isFinal('RUN_STATE_STOPPING')).toBe(false);
  });

  test('parameter rules and typed values', () => {
    const [rate, requests, workload] = LLM_SIM.params;
    expect(validateParam(rate, '0.05')).toBe('must be at least 0.1');
    expect(validateParam(rate, 'fast')).toBe('must be a number');
    expect(validateParam(requests, '')).toBe('is required');
    expect(validateParam(workload, 'batch')).toBe('must be one of chat, completion');
    expect(validateParam(rate, '')).toBeUndefined();
    expect(toParamValues(LLM_SIM.params, { rate: '', requests: '7', workload: 'completion', stream: 'false' })).toEqual(
      {
        requests: 7,
        workload: 'completion',
        stream: false,
      }
    );
  });
});
