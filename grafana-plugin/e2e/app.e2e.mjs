// The browser test of the app's pages: headless Chromium (the system's, driven by playwright-core)
// opens the built plugin in the test host (tests/grafanahost.py, which answers the resource calls
// through the real gpx_aifb and aifbd) and does what a person does: an Editor starts llm-sim from
// its recipe form (first with a value aifbd refuses, shown beside its field), watches the run
// page reach RUNNING, stops it from the Runs page after confirming, and sees it CANCELLED; a
// Viewer gets no Start button; a Viewer whose page shows the button anyway is refused by the
// backend and the page says so. A screenshot is saved after every step (and on a failure).
//
//   node e2e/app.e2e.mjs --url http://127.0.0.1:PORT --out DIR [--chromium PATH]
//
// Prints "ok <step>" per step and, last, one JSON line {"run_id": ..., "screenshots": [...]};
// exits 1 at the first failed step with what was expected and what the page showed.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    out: { type: 'string' },
    chromium: { type: 'string' },
    'run-requests': { type: 'string', default: '3000' },
  },
});
if (!args.url || !args.out) {
  console.error('usage: node e2e/app.e2e.mjs --url http://127.0.0.1:PORT --out DIR [--chromium PATH]');
  process.exit(2);
}

function findChromium() {
  const candidates = [args.chromium, process.env.AIFB_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium'];
  for (const c of candidates) {
    if (c && fs.existsSync(c)) {
      return c;
    }
  }
  console.error("no Chromium found (install Debian's chromium, or give --chromium PATH)");
  process.exit(2);
}

const APP = '/a/aifb-controlplane-app';
const TIMEOUT = 30_000;
fs.mkdirSync(args.out, { recursive: true });
const shots = [];
const problems = []; // uncaught errors in the page
const consoleErrors = []; // what the page logged as errors, shown when a step fails

const browser = await chromium.launch({ executablePath: findChromium(), headless: true });
const context = await browser.newContext({ baseURL: args.url, viewport: { width: 1280, height: 900 } });
context.setDefaultTimeout(TIMEOUT);
const page = await context.newPage();
page.on('pageerror', (e) => problems.push(String(e)));
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on(
  'response',
  (r) => r.status() >= 400 && consoleErrors.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`)
);
page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

let n = 0;
async function shot(name) {
  const file = path.join(args.out, `${String(++n).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

async function step(name, fn) {
  try {
    await fn();
    if (problems.length) {
      throw new Error(`the page threw: ${problems.join('\n')}`);
    }
    await shot(name);
    console.log(`ok ${name}`);
  } catch (e) {
    await shot(`failed-${name}`).catch(() => {});
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '(no page text)');
    console.error(`FAILED ${name}: ${e.message}\n--- the page at ${page.url()} showed:\n${text}`);
    if (problems.length) {
      console.error(`--- it threw:\n${problems.join('\n')}`);
    }
    if (consoleErrors.length) {
      console.error(`--- its console errors:\n${consoleErrors.join('\n')}`);
    }
    await browser.close();
    process.exit(1);
  }
}

async function setRoles(session, pageRole) {
  await context.clearCookies();
  const cookies = [{ name: 'aifb_test_role', value: session, url: args.url }];
  if (pageRole) {
    cookies.push({ name: 'aifb_test_page_role', value: pageRole, url: args.url });
  }
  await context.addCookies(cookies);
}

const field = (name) => page.getByTestId(`param-field-${name}`);
let runId = '';

await setRoles('Editor');

await step('recipes', async () => {
  await page.goto(`${APP}/recipes`);
  const row = page.getByRole('table', { name: 'recipes' }).getByRole('row').filter({ hasText: 'llm-sim' });
  await row.getByRole('link', { name: /Start/ }).click();
  await page.waitForURL(`**${APP}/recipes/llm-sim`);
  await page.getByRole('form', { name: 'parameters' }).waitFor();
});

await step('form-checks-range', async () => {
  await page.locator('#param-rate').fill('-5');
  await page.getByRole('button', { name: 'Start' }).click();
  await field('rate')
    .getByRole('alert')
    .filter({ hasText: /rate must be at least 0/ })
    .waitFor();
  if (!page.url().endsWith(`${APP}/recipes/llm-sim`)) {
    throw new Error(`a refused form navigated to ${page.url()}`);
  }
});

await step('aifbd-refusal-beside-field', async () => {
  await page.locator('#param-rate').fill('20');
  await page.locator('#param-slo').fill('fast please');
  await page.getByRole('button', { name: 'Start' }).click();
  await field('slo')
    .getByRole('alert')
    .filter({ hasText: /parameter 'slo'/ })
    .waitFor();
});

await step('run-started', async () => {
  await page.locator('#param-slo').fill('');
  await page.locator('#param-requests').fill(args['run-requests']);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForURL(new RegExp(`${APP}/runs/[^/]+$`));
  runId = decodeURIComponent(page.url().split('/').pop());
  await page.getByText(runId).first().waitFor();
});

await step('run-running', async () => {
  await page.getByText('RUNNING', { exact: true }).first().waitFor({ timeout: 90_000 });
});

await step('runs-table', async () => {
  await page.goto(`${APP}/runs`);
  const row = page.getByRole('table', { name: 'runs' }).getByRole('row').filter({ hasText: runId });
  await row.getByText('RUNNING', { exact: true }).waitFor();
  await row.getByRole('button', { name: 'Stop' }).click();
  await page.getByRole('dialog').getByText(`Stop run ${runId}?`).waitFor();
});

await step('stop-confirmed', async () => {
  await page.getByRole('dialog').getByRole('button', { name: 'Stop' }).click();
  const row = page.getByRole('table', { name: 'runs' }).getByRole('row').filter({ hasText: runId });
  await row.getByText('CANCELLED', { exact: true }).waitFor({ timeout: 60_000 });
  if (await row.getByRole('button', { name: 'Stop' }).count()) {
    throw new Error('a cancelled run still has a Stop button');
  }
});

await step('viewer-has-no-start', async () => {
  await setRoles('Viewer');
  await page.goto(`${APP}/recipes/llm-sim`);
  await page.getByText('Starting needs the Editor role').waitFor();
  if (await page.getByRole('button', { name: 'Start' }).isEnabled()) {
    throw new Error('a Viewer can press Start');
  }
});

await step('viewer-refused-by-backend', async () => {
  await setRoles('Viewer', 'Editor');
  await page.goto(`${APP}/recipes/llm-sim`);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByText('aifbd did not start llm-sim').waitFor();
  await page
    .getByText(/Editor/)
    .first()
    .waitFor();
  if (!page.url().endsWith(`${APP}/recipes/llm-sim`)) {
    throw new Error(`a refused start navigated to ${page.url()}`);
  }
});

await browser.close();
console.log(JSON.stringify({ run_id: runId, screenshots: shots }));
