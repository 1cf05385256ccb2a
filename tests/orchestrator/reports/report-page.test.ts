// The printable report pages a city operator hands in, rendered in Chromium from the API: the
// supply table with its eligibility and rule notes. Screenshots go to tests/.artifacts/reports/.
import { existsSync, mkdirSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerRoutes } from '../../../orchestrator/api/ledger.ts';
import { Books } from '../../../orchestrator/ledger/books.ts';
import { snapshotOf } from '../../../orchestrator/ledger/capacity.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../.artifacts/reports/', import.meta.url).pathname;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing and CI is set: install Debian's chromium (.ci/run does)`);
if (!haveChromium) console.warn(`skipping report page tests: ${CHROMIUM} not found (apt-get install -y chromium)`);

const local = (y: number, mo: number, d: number, h = 0) => Date.UTC(y, mo - 1, d, h) - 8 * 3_600_000;

describe.skipIf(!haveChromium)('report pages in Chromium', () => {
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const books = await Books.open({ dataDir: null, nodes: () => [], node: () => undefined });
    await books.ledger.setTenant('fz-robotics', { unit: 'pflops-hour', cnyPerUnit: 40 }, 2026);
    await books.ledger.append(
      snapshotOf('2026-03-01', [
        { site: 'fz-gulou-dc-1', nominalPflops: 120, domesticPflops: 108, measuredPflops: 96 },
        { site: 'fz-mawei-plant-3', nominalPflops: 12, domesticPflops: 3, measuredPflops: 10 },
      ]),
      {
        kind: 'usage', workloadId: 'w-1', tenant: 'fz-robotics', site: 'fz-gulou-dc-1', nodeId: 'n-1', accelerators: [], startMs: local(2026, 3, 2, 8), endMs: local(2026, 3, 2, 20),
        closedBy: 'stopped', nominalTflops: 2240, measuredTflops: null, pflopsHoursNominal: 26.88, pflopsHoursMeasured: null, acceleratorHours: 96, plan: { unit: 'pflops-hour', cnyPerUnit: 40 }, feeCny: 1075.2,
      },
    );
    app = Fastify();
    ledgerRoutes(app, books);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the supply table with eligibility, the misses and the rules', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${url}/v1/reports/supply?period=2026H1&format=html`);
    expect(await page.locator('h2').first().textContent()).toBe('Supply subsidy, 2026H1 (capacity from ledger snapshot of 2026-03-01)');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).locator('td').nth(3).textContent()).toBe('yes');
    expect(await rows.nth(1).locator('td').last().textContent()).toContain('short of 100 P');
    await expect.poll(() => page.locator('.notes li').allTextContents()).toContain('rule: supply subsidy: site nominal ≥100 P FP16-eq');
    await page.screenshot({ path: `${ARTIFACTS}supply.png`, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: `${ARTIFACTS}supply-print.png`, fullPage: true });
    await page.close();
  });

  it('shows the demand table', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${url}/v1/reports/demand?year=2026&format=html`);
    expect(await page.locator('tbody tr td').first().textContent()).toBe('fz-robotics');
    await page.screenshot({ path: `${ARTIFACTS}demand.png`, fullPage: true });
    await page.close();
  });
});
