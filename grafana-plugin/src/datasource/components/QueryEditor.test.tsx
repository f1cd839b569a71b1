// The query editor: each kind shows its own options and marks a required one left empty.
import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { DataSource } from '../datasource';
import { AifbQuery } from '../types';
import { QueryEditor } from './QueryEditor';

function renderEditor(query: Partial<AifbQuery>) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  render(
    <QueryEditor
      query={{ refId: 'A', ...query } as AifbQuery}
      onChange={onChange}
      onRunQuery={onRunQuery}
      datasource={{} as DataSource}
    />
  );
  return { onChange, onRunQuery };
}

describe('Query editor', () => {
  test('runs: recipe, state and run id', () => {
    renderEditor({ queryType: 'runs' });
    expect(screen.getByText('Runs')).toBeInTheDocument();
    expect(screen.getByLabelText('Recipe')).toBeInTheDocument();
    expect(screen.getByLabelText('Run')).toBeInTheDocument();
    expect(screen.getByText('any')).toBeInTheDocument();
    expect(screen.queryByLabelText('Metric')).not.toBeInTheDocument();
  });

  test('run_result needs a run id and marks it when missing', () => {
    const { onChange } = renderEditor({ queryType: 'run_result' });
    expect(screen.getByText('required')).toBeInTheDocument();
    expect(screen.queryByLabelText('Recipe')).not.toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Run'), { target: { value: '$run_id' } });
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'run_result', runId: '$run_id' });
  });

  test('recipe_results: recipe, metric and parameters', () => {
    const { onChange } = renderEditor({ queryType: 'recipe_results', recipe: 'llm-sim' });
    expect(screen.getByLabelText('Recipe')).toHaveValue('llm-sim');
    fireEvent.change(screen.getByLabelText('Parameters'), { target: { value: 'rate,concurrency' } });
    expect(onChange).toHaveBeenCalledWith({
      refId: 'A',
      queryType: 'recipe_results',
      recipe: 'llm-sim',
      params: 'rate,concurrency',
    });
    expect(screen.getByLabelText('Metric')).toBeInTheDocument();
  });

  test('health: a section, and changing the kind runs the query', () => {
    const { onChange, onRunQuery } = renderEditor({ queryType: 'health' });
    expect(screen.getByText('aifbd')).toBeInTheDocument();
    fireEvent.keyDown(screen.getByLabelText('Kind'), { key: 'ArrowDown' });
    fireEvent.click(screen.getByText('Events'));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'events' });
    expect(onRunQuery).toHaveBeenCalled();
  });
});
