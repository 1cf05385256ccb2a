// The dashboard in headless Chromium against a real orchestrator and a 4-node simulated fleet:
// it loads with the fleet, follows a node going offline without a reload, and submits a workload
// through its form. Screenshots go to tests/.artifacts/dashboard/ for a person to look at.
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dashboardPlugin } from '../../../orchestrator/dashboard/plugin.ts';
import { startHarness, type Harness } from './harness.ts';
import { authPlugin, issueApiToken, parseTokenLines } from '../../../orchestrator/api/auth.ts';
import mqtt from 'mqtt';
import { encode } from '../../../protocol/codec.ts';
import { nodeTopic } from '../../../protocol/topics.ts';
import { birth, envelope } from '../../helpers/envelopes.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../.artifacts/dashboard/', import.meta.url).pathname;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing and CI is set: install Debian's chromium (.ci/run does)`);
if (!haveChromium) console.warn(`skipping dashboard browser tests: ${CHROMIUM} not found (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('dashboard page in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startHarness([dashboardPlugin]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${h.orch.httpUrl}/`);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('loads with the fleet: table, map markers, totals', async () => {
    const ids = h.fleet.specs.map((s) => s.id);
    for (const id of ids) {
      await page.locator(`#nodes tbody tr[data-node="${id}"]`).waitFor({ timeout: 10_000 });
      await page.locator(`#map g.node[data-node="${id}"][data-status="online"]`).waitFor({ timeout: 10_000 });
    }
    expect(await page.locator('#map polygon.district').count()).toBe(12);
    await expect.poll(() => page.locator('#t-nodes').textContent()).toBe('4 / 4');
    const nominal = Number((await page.locator('#t-nominal').textContent())!.replace(/,/g, ''));
    const summary = (await (await fetch(`${h.orch.httpUrl}/v1/fleet/summary`)).json()) as { nominal: { pflops: number } };
    expect(nominal).toBeCloseTo(summary.nominal.pflops, 3);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
    await page.screenshot({ path: `${ARTIFACTS}loaded.png`, fullPage: true });
  });

  it("shows a node's cards, one row each with live readings and TFLOPS/W, and the fleet's power", async () => {
    const spec = h.fleet.specs[1]!;
    const row = page.locator(`#nodes tbody tr[data-node="${spec.id}"]`);
    await row.locator('details > summary').click();
    const cards = row.locator('[role=table] [role=row][data-card]');
    await expect.poll(() => cards.count()).toBe(spec.pack.count);
    const first = cards.first();
    // Simulated cards report utilisation, memory used, temperature and power, but no power limit
    // or memory total: those show as —, and memory total falls back to the card's size.
    await expect.poll(() => first.locator('.c-util').textContent(), { timeout: 10_000 }).toMatch(/^\d+ %$/);
    expect(await first.locator('.c-power').textContent()).toMatch(/^\d+ W \/ —$/);
    expect(await first.locator('.c-temp').textContent()).toMatch(/^\d+ °C$/);
    const api = (await (await fetch(`${h.orch.httpUrl}/v1/nodes/${spec.id}`)).json()) as { accelerators: { memoryMib: number; efficiency: { basis: string } }[] };
    const size = api.accelerators[0]!.memoryMib;
    expect(await first.locator('.c-mem').textContent()).toMatch(size > 0 ? /^[\d.]+ \/ [\d.]+ GiB$/ : /^[\d.]+ \/ —$/);
    expect(await first.locator('.c-health').getAttribute('data-health')).toBe('ok');
    expect(await first.locator('.c-eff').getAttribute('data-basis')).toBe(api.accelerators[0]!.efficiency.basis);
    // The open node is refreshed while it stays open: its utilisation moves without a reload.
    const util = await first.locator('.c-util').textContent();
    await expect.poll(() => first.locator('.c-util').textContent(), { timeout: 15_000 }).not.toBe(util);
    // The fleet header: power now and the efficiency's basis, as the summary has them.
    const summary = (await (await fetch(`${h.orch.httpUrl}/v1/fleet/summary`)).json()) as { accelerators: number; energy: { efficiency: { basis: string } } };
    await expect.poll(async () => Number((await page.locator('#t-power').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await page.locator('#t-power-note').textContent()).toContain(`of ${summary.accelerators} cards report power`);
    expect(await page.locator('#t-eff').getAttribute('data-basis')).toBe(summary.energy.efficiency.basis);
    await page.screenshot({ path: `${ARTIFACTS}cards.png`, fullPage: true });
    await row.locator('details > summary').click();
  });

  it('turns a node red (square) when it goes offline, without a reload', async () => {
    const marker = (id: string) => page.locator(`#map g.node[data-node="${id}"]`);
    const victim = h.fleet.specs[0]!.id;
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    h.fleet.get(victim)!.sever();
    await page.locator(`#map g.node[data-node="${victim}"][data-status="offline"]`).waitFor({ timeout: 10_000 });
    expect(await marker(victim).locator('rect').getAttribute('fill')).toBe('#cf222e');
    expect(await marker(h.fleet.specs[1]!.id).locator('circle').getAttribute('fill')).toBe('#1a7f37');
    expect(await page.locator(`#nodes tr[data-node="${victim}"] td.state`).textContent()).toContain('offline');
    await expect.poll(() => page.locator('#events li.kind-lost').first().textContent()).toContain(victim);
    // Still the same document: the flag set before the change survived.
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
  });

  it('filters and sorts the node table', async () => {
    const rows = page.locator('#nodes tbody tr');
    await page.fill('#node-filter', 'offline');
    await expect.poll(() => rows.count()).toBe(1);
    await page.fill('#node-filter', '');
    await expect.poll(() => rows.count()).toBe(4);
    await page.click('#nodes th button[data-sort="nominal"]');
    await page.click('#nodes th button[data-sort="nominal"]');
    expect(await page.locator('#nodes th:has(button[data-sort="nominal"])').getAttribute('aria-sort')).toBe('descending');
    const figures = (await rows.locator('td.num >> nth=0').allTextContents()).map((t) => Number(t.replace(/,/g, '')));
    const col = await page.$$eval('#nodes tbody tr', (trs) => trs.map((tr) => Number(tr.querySelectorAll('td.num')[0]!.textContent!.replace(/,/g, ''))));
    expect(col).toEqual([...col].sort((a, b) => b - a));
    expect(figures.length).toBeGreaterThan(0);
  });

  it('submits a workload through the form and shows it placed with its node and RTT', async () => {
    const target = h.fleet.specs[1]!;
    await page.fill('input[name=name]', 'press-line-ctl');
    await page.selectOption('select[name=class]', 'industrial-control');
    await page.fill('input[name=accelerators]', '1');
    await page.selectOption('select[name=site]', target.site.id);
    await page.fill('input[name=maxRttMs]', '50');
    await page.fill('input[name=durationS]', '600');
    await page.click('#submit button[type=submit]');
    await expect.poll(() => page.locator('#submit-result').getAttribute('class')).toBe('ok');
    const row = page.locator('#workloads tbody tr', { hasText: 'press-line-ctl' });
    await row.waitFor({ timeout: 10_000 });
    const w = h.orch.workloads.list().find((x) => x.spec.name === 'press-line-ctl')!;
    expect(w.nodeId).not.toBeNull();
    await expect.poll(() => row.getAttribute('data-state')).toMatch(/^(placed|running)$/);
    expect(await row.locator('td.wl-node').textContent()).toBe(w.nodeId);
    expect(await row.locator('td.wl-rtt').textContent()).toMatch(/ms (measured|estimated)/);
    expect(await page.locator(`#map line.link[data-workload="${w.id}"]`).count()).toBe(1);

    await row.getByRole('button', { name: /Explain placement of press-line-ctl/ }).click();
    const explain = page.locator('#explain');
    // The panel says "loading…" again whenever a live update re-asks for the explanation: wait for the text.
    await expect.poll(() => explain.textContent(), { timeout: 10_000 }).toContain('latency-slo');
    await expect.poll(() => explain.textContent(), { timeout: 10_000 }).toContain(w.nodeId!);
    await page.screenshot({ path: `${ARTIFACTS}workload.png`, fullPage: true });
  });

  it("shows the city plan: progress to the target and each site's supply-subsidy eligibility", async () => {
    const sites = [...new Set(h.fleet.specs.map((sp) => sp.site.id))];
    for (const site of sites) await page.locator(`#sites tbody tr[data-site="${site}"]`).waitFor({ timeout: 10_000 });
    const summary = (await (await fetch(`${h.orch.httpUrl}/v1/fleet/summary`)).json()) as { nominal: { pflops: number } };
    expect(await page.locator('#plan-p').textContent()).toBe(summary.nominal.pflops.toFixed(3));
    expect(await page.locator('#plan-target').textContent()).toBe('400');
    // A small test fleet is far from 100 P at every site: each row says it misses and by how much.
    for (const site of sites) {
      const row = page.locator(`#sites tbody tr[data-site="${site}"]`);
      expect(await row.getAttribute('data-eligible')).toBe('no');
      expect(await row.locator('td').last().textContent()).toMatch(/P short of 100 P/);
    }
    await page.locator('.plan-panel').screenshot({ path: `${ARTIFACTS}city-plan.png` });
  });

  it('rejects an invalid workload with the field named', async () => {
    await page.fill('input[name=name]', 'Bad Name');
    await page.click('#submit button[type=submit]');
    await expect.poll(() => page.locator('#submit-result').getAttribute('class')).toBe('error');
    expect(await page.locator('#submit-result').textContent()).toContain('/name');
  });

  // Issue 20 (10), each point checked in a fresh page at a laptop and at a phone width.
  for (const [width, height, tag] of [[1400, 1000, 'laptop'], [390, 844, 'phone']] as const) {
    it(`at ${width}×${height}: events on load, labels clear of dots, a line per placed SLO, hints under their fields`, async () => {
      const p = await browser.newPage({ viewport: { width, height } });
      try {
        await p.goto(`${h.orch.httpUrl}/`);
        // Recent events are there on load: the fleet coming online happened before this page.
        await expect.poll(() => p.locator('#events li.kind-online').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(h.fleet.specs.length - 1);
        const logged = await p.locator('#events').textContent();
        for (const spec of h.fleet.specs) expect(logged).toContain(spec.id);
        expect(logged).toContain('press-line-ctl placed');

        // A line from each placed workload with an SLO to its target, with a visible length.
        const slo = h.orch.workloads.list().filter((w) => w.spec.latency && w.nodeId && (w.state === 'placed' || w.state === 'running'));
        expect(slo.length).toBeGreaterThan(0);
        await expect.poll(() => p.locator('#map line.link').count(), { timeout: 10_000 }).toBe(slo.length);
        // Polled per line: under load the map may still be redrawing the one a count already saw.
        for (const w of slo) {
          await expect.poll(async () => {
            const box = await p.locator(`#map line.link[data-workload="${w.id}"]`).boundingBox();
            return box === null ? 0 : Math.hypot(box.width, box.height);
          }, { message: w.spec.name, timeout: 10_000 }).toBeGreaterThan(4);
        }

        // District names cover no node and no other name (bounding boxes as drawn).
        await p.locator('#map text.district-name').first().waitFor();
        const geometry = await p.evaluate(() => {
          const r = (e: Element) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height, name: e.textContent ?? (e as HTMLElement).dataset?.node ?? '' }; };
          return {
            labels: Array.from(document.querySelectorAll('#map text.district-name')).map(r),
            dots: Array.from(document.querySelectorAll('#map g.node')).map((g) => ({ ...r(g), name: g.getAttribute('data-node')! })),
          };
        });
        expect(geometry.labels.length).toBe(12);
        const hit = (a: { x: number; y: number; w: number; h: number }, b: typeof a) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        for (const l of geometry.labels) {
          for (const d of geometry.dots) expect(hit(l, d), `label ${l.name} over node ${d.name}`).toBe(false);
          for (const o of geometry.labels) if (o !== l) expect(hit(l, o), `label ${l.name} over label ${o.name}`).toBe(false);
          expect(l.h, `label ${l.name} readable`).toBeGreaterThanOrEqual(10);
        }

        // Each hint sits in its own field's container, under that field's control.
        const hints = await p.$$eval('#submit .hint', (els) => els.map((hint) => {
          const field = hint.parentElement!;
          const control = field.querySelector(`[aria-describedby~="${hint.id}"]`);
          const hb = hint.getBoundingClientRect();
          const cb = control?.getBoundingClientRect();
          return { id: hint.id, fieldClass: field.className, hasControl: !!control, below: cb ? hb.top >= cb.bottom - 1 : false, aligned: cb ? Math.abs(hb.left - cb.left) < 4 : false };
        }));
        expect(hints.length).toBeGreaterThanOrEqual(3);
        for (const hnt of hints) expect(hnt, hnt.id).toMatchObject({ fieldClass: 'field', hasControl: true, below: true, aligned: true });

        // No blank district: every node's cell names one, or says —.
        const districts = await p.locator('#nodes tbody td.district').allTextContents();
        expect(districts.length).toBe(h.fleet.specs.length);
        for (const d of districts) expect(d).toMatch(/^\S+ \/ \S+$/);
        // Nothing pushes the page wider than the screen: wide tables scroll inside their panel.
        const wide = await p.evaluate(() => {
          const vw = document.documentElement.clientWidth;
          const out = Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > vw + 1 && !(e.parentElement?.closest('.scroll')));
          const spill = Array.from(document.querySelectorAll('body *')).filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible' && e.clientWidth > 0 && !e.closest('.scroll'));
          return { scrollWidth: document.documentElement.scrollWidth, vw, culprits: [...out, ...spill].slice(0, 8).map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} ${e.scrollWidth}/${e.clientWidth}`) };
        });
        expect(wide.scrollWidth, `wider than ${wide.vw}px: ${wide.culprits.join(', ')}`).toBeLessThanOrEqual(wide.vw);
        await p.screenshot({ path: `${ARTIFACTS}${tag}-${width}x${height}.png`, fullPage: true });
        await p.locator('#map').screenshot({ path: `${ARTIFACTS}${tag}-map.png` });
        await p.locator('#submit').screenshot({ path: `${ARTIFACTS}${tag}-submit.png` });
      } finally {
        await p.close();
      }
    });
  }

  it("names a district for a node that reports none (the local agent's site 'local'): — , never blank", async () => {
    // As main.ts's agent on this machine says it: site 'local', no district.
    const client = await mqtt.connectAsync(h.orch.mqttUrl, { clientId: 'edge-vm' });
    try {
      const b = birth({ location: { lat: 26.0745, lon: 119.2965, site: 'local', district: '', siteKind: 'datacenter' }, runningWorkloads: [] });
      await client.publishAsync(nodeTopic(h.orch.topicRoot, 'local', 'edge-vm', 'birth'), Buffer.from(encode(envelope({ body: 'birth', birth: b }, { nodeId: 'edge-vm', sessionId: 'vm-1', sentAtMs: Date.now() }))), { qos: 1 });
      const row = page.locator('#nodes tbody tr[data-node="edge-vm"]');
      await row.waitFor({ timeout: 10_000 });
      expect(await row.locator('td.district').textContent()).toBe('— / local');
      // A node on a city site that reports no district gets its site's.
      const site = h.fleet.specs[2]!.site;
      const c = birth({ location: { lat: site.lat, lon: site.lon, site: site.id, district: '', siteKind: site.kind }, runningWorkloads: [] });
      // (A client publishes only as the node it is: the broker checks the client id.)
      const other = await mqtt.connectAsync(h.orch.mqttUrl, { clientId: 'edge-vm2' });
      await other.publishAsync(nodeTopic(h.orch.topicRoot, site.id, 'edge-vm2', 'birth'), Buffer.from(encode(envelope({ body: 'birth', birth: c }, { nodeId: 'edge-vm2', sessionId: 'vm-2', sentAtMs: Date.now() }))), { qos: 1 });
      await other.endAsync();
      const row2 = page.locator('#nodes tbody tr[data-node="edge-vm2"]');
      await row2.waitFor({ timeout: 10_000 });
      expect(await row2.locator('td.district').textContent()).toBe(`${site.district} / ${site.id}`);
      await page.screenshot({ path: `${ARTIFACTS}vm-node.png`, fullPage: true });
    } finally {
      await client.endAsync();
    }
  });
});

describe.skipIf(!haveChromium)('dashboard page with API tokens on', () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    const viewer = issueApiToken('wall', 'viewer');
    h = await startHarness([(app, o) => authPlugin(app, { tokens: parseTokenLines(viewer.line, 'test'), log: o.log }), dashboardPlugin]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    (h as Harness & { token?: string }).token = viewer.token;
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('asks for a token, then shows the live fleet with it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${h.orch.httpUrl}/`);
    await page.locator('#token-form').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#token-why').textContent()).toContain('needs an API token');
    expect(await page.locator('#nodes tbody tr').count()).toBe(0);
    await page.fill('#token', (h as Harness & { token?: string }).token!);
    await page.click('#token-form button[type="submit"]');
    const first = h.fleet.specs[0]!.id;
    await page.locator(`#nodes tbody tr[data-node="${first}"]`).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    await page.close();
  });
});
