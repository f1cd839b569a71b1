// The Recipes page: the list, the form generated from a schema, what Start sends, and where
// aifbd's refusals are shown.
import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { LLM_SIM, READY_SERVICE, RES, answerGets, fetchError, mockBackend, mockConfig, renderAt } from '../testutils';
import { Recipes } from './Recipes';

jest.mock('@grafana/runtime', () => require('../testutils').pluginPageMock());

function openForm(services: unknown[] = []) {
  answerGets({ 'recipes/llm-sim': LLM_SIM, services: { services } });
  renderAt(<Recipes />, 'recipes/llm-sim', 'recipes/:name');
}

// The form field (label, input, message) that holds the input labelled `name`.
function fieldOf(name: string) {
  return screen.findByTestId(`param-field-${name}`);
}

describe('Recipes page', () => {
  beforeEach(() => {
    jest.resetAllMocks();
  });

  test('lists the recipes aifbd has', async () => {
    answerGets({
      recipes: {
        recipes: [
          LLM_SIM.summary,
          {
            name: 'redis-server',
            description: 'a redis server',
            kind: 'service',
            has_service: true,
            has_client: false,
          },
        ],
      },
    });
    renderAt(<Recipes />, 'recipes', 'recipes');
    const row = (await screen.findByText('llm-sim')).closest('tr')!;
    expect(within(row).getByText('LLM load against the simulator')).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: /start/i })).toHaveAttribute(
      'href',
      '/a/aifb-controlplane-app/recipes/llm-sim'
    );
    const service = screen.getByText('redis-server').closest('tr')!;
    expect(within(service).queryByRole('link', { name: /start/i })).not.toBeInTheDocument();
    expect(mockBackend.get).toHaveBeenCalledWith(`${RES}/recipes`, undefined, undefined, expect.anything());
  });

  test("shows the Slurm job a recipe's roles ask for on a cluster, as written", async () => {
    const slurm = {
      image: '${image}',
      gpus: '${tensor_parallel_size}',
      nodes: '',
      tasks: '',
      cpus_per_task: '',
      memory_mb: '',
      time_limit_min: '',
      partition: 'gpu',
    };
    answerGets({ 'recipes/llm-sim': { ...LLM_SIM, service_slurm: slurm }, services: { services: [] } });
    renderAt(<Recipes />, 'recipes/llm-sim', 'recipes/:name');
    const jobs = await screen.findByLabelText('slurm jobs');
    expect(jobs).toHaveTextContent(
      "Service's Slurm job (on a cluster): image ${image}, gpus ${tensor_parallel_size}, partition gpu"
    );
    expect(jobs).not.toHaveTextContent('Client');
  });

  test('shows no Slurm line for a recipe without one', async () => {
    openForm();
    await screen.findByLabelText(/^rate/);
    expect(screen.queryByLabelText('slurm jobs')).not.toBeInTheDocument();
  });

  test('generates the form from the parameter schema, with defaults', async () => {
    openForm();
    expect(await screen.findByLabelText(/^rate/)).toHaveValue('10');
    expect(screen.getByLabelText(/^requests \*/)).toHaveValue('');
    expect(screen.getByText(/requests per second \(req\/s\) range 0.1 to 1000/)).toBeInTheDocument();
    expect(screen.getByText('chat')).toBeInTheDocument();
    expect(screen.getByLabelText(/^stream/)).toBeChecked();
    expect(screen.getByRole('button', { name: 'Start' })).toBeInTheDocument();
  });

  test('checks the values against the schema before sending anything', async () => {
    openForm();
    fireEvent.change(await screen.findByLabelText(/^rate/), { target: { value: '5000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(await screen.findByText('rate must be at most 1000')).toBeInTheDocument();
    expect(within(await fieldOf('requests')).getByText('requests is required')).toBeInTheDocument();
    expect(mockBackend.post).not.toHaveBeenCalled();

    fireEvent.change(screen.getByLabelText(/^requests/), { target: { value: '2.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(await screen.findByText('requests must be a whole number')).toBeInTheDocument();
    expect(mockBackend.post).not.toHaveBeenCalled();
  });

  test('Start posts the recipe and its typed values to runs, then opens the run', async () => {
    openForm();
    mockBackend.post.mockResolvedValue({ id: 'r-aaaaaaaaaaaa', recipe: 'llm-sim', state: 'RUN_STATE_PENDING' });
    fireEvent.change(await screen.findByLabelText(/^rate/), { target: { value: '30' } });
    fireEvent.change(screen.getByLabelText(/^requests/), { target: { value: '200' } });
    fireEvent.click(screen.getByLabelText(/^stream/));
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));

    await waitFor(() =>
      expect(mockBackend.post).toHaveBeenCalledWith(
        `${RES}/runs`,
        { recipe: 'llm-sim', params: { rate: 30, requests: 200, workload: 'chat', stream: false } },
        expect.anything()
      )
    );
    expect(await screen.findByTestId('location')).toHaveTextContent('/a/aifb-controlplane-app/runs/r-aaaaaaaaaaaa');
  });

  test('a run can use a READY service of the same recipe', async () => {
    openForm([READY_SERVICE, { ...READY_SERVICE, id: 's-ffffffffffff', recipe: 'redis' }]);
    mockBackend.post.mockResolvedValue({ id: 'r-bbbbbbbbbbbb' });
    fireEvent.change(await screen.findByLabelText(/^requests/), { target: { value: '10' } });
    const select = await screen.findByText('start its own');
    fireEvent.keyDown(select, { key: 'ArrowDown' });
    expect(screen.queryByText(/s-ffffffffffff/)).not.toBeInTheDocument();
    fireEvent.click(await screen.findByText('s-0c1d2e3f4a5b (127.0.0.1:8001)'));
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() =>
      expect(mockBackend.post).toHaveBeenCalledWith(
        `${RES}/runs`,
        {
          recipe: 'llm-sim',
          params: { rate: 10, requests: 10, workload: 'chat', stream: true },
          service_id: 's-0c1d2e3f4a5b',
        },
        expect.anything()
      )
    );
  });

  test("shows aifbd's validation message beside the field it names", async () => {
    openForm();
    const message = "parameter 'requests': 100000000 is above the maximum 10000000";
    mockBackend.post.mockRejectedValue(fetchError(400, message, 'INVALID_ARGUMENT'));
    fireEvent.change(await screen.findByLabelText(/^requests/), { target: { value: '100000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));

    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(within(await fieldOf('requests')).getByText(message)).toBeInTheDocument();
    expect(within(await fieldOf('rate')).queryByText(message)).not.toBeInTheDocument();
    expect(screen.queryByText(/aifbd did not start/)).not.toBeInTheDocument();
  });

  test('shows any other error of aifbd above the form', async () => {
    openForm();
    mockBackend.post.mockRejectedValue(
      fetchError(503, 'aifbd does not answer at 10.0.0.5:50051: connection refused', 'UNAVAILABLE')
    );
    fireEvent.change(await screen.findByLabelText(/^requests/), { target: { value: '10' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(await screen.findByText('aifbd did not start llm-sim')).toBeInTheDocument();
    expect(
      screen.getByText(/does not answer at 10.0.0.5:50051: connection refused \(UNAVAILABLE\)/)
    ).toBeInTheDocument();
  });

  test('a Viewer sees the form but cannot Start', async () => {
    mockConfig.bootData.user.orgRole = 'Viewer';
    try {
      openForm();
      expect(await screen.findByText('Starting needs the Editor role')).toBeInTheDocument();
      expect(screen.getByRole('button', { name: 'Start' })).toBeDisabled();
    } finally {
      mockConfig.bootData.user.orgRole = 'Editor';
    }
  });

  test('an unknown recipe shows the 404 message', async () => {
    answerGets({ 'recipes/nope': fetchError(404, "no recipe named 'nope'", 'NOT_FOUND'), services: { services: [] } });
    renderAt(<Recipes />, 'recipes/nope', 'recipes/:name');
    expect(await screen.findByText(/no recipe named 'nope'/)).toBeInTheDocument();
  });
});
