import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogError, loadCatalog, lookup, nominalFp16, validateCatalog } from '../../../agent/catalog/catalog.ts';

async function tempFile(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'banyan-cat-')), 'override.json');
  await writeFile(path, content);
  return path;
}

describe('built-in catalogue', () => {
  it('loads and validates, and states dense figures from accelerator-specs.md', async () => {
    const c = await loadCatalog();
    expect(c.version).toMatch(/^\d{4}\.\d+\.\d+$/);
    const h200 = lookup(c, { vendor: 'nvidia', model: 'NVIDIA H200' });
    expect(h200?.dense).toEqual({ fp16: 989.5, bf16: 989.5, fp32: 67, int8: 1979 });
    expect(nominalFp16(c, h200, 'NVIDIA H200')).toEqual({
      tflops: 989.5,
      basis: 'fp16',
      kind: 'nominal',
      weak: false,
      source: `catalogue v${c.version} nvidia-h200-sxm: NVIDIA H200 datasheet (as quoted in Lightning throughput.py, ml-engineering)`,
    });
  });

  it('every unverified model has no figure; every verified one has a source', async () => {
    const c = await loadCatalog();
    for (const e of c.entries) {
      if (!e.verified) expect(nominalFp16(c, e, e.model)).not.toHaveProperty('tflops');
      else expect(e.source.length).toBeGreaterThan(10);
    }
    const mlu = lookup(c, { vendor: 'cambricon', model: 'MLU370-X8' });
    expect(nominalFp16(c, mlu, 'MLU370-X8').source).toMatch(/UNVERIFIED/);
  });

  it('matches by PCI device id before the name, and by name across spellings', async () => {
    const c = await loadCatalog();
    expect(lookup(c, { vendor: 'nvidia', model: 'something odd', pciDeviceId: '0x2331' })?.id).toBe('nvidia-h100-pcie');
    expect(lookup(c, { vendor: 'nvidia', model: 'nvidia a100 sxm4 80gb' })?.id).toBe('nvidia-a100');
    expect(lookup(c, { vendor: 'metax', model: 'MXC500' })?.id).toBe('metax-c500');
    // The name belongs to another vendor: no match.
    expect(lookup(c, { vendor: 'amd', model: 'NVIDIA H200' })).toBeUndefined();
  });

  it('converts by the protocol rule: Enflame T20 has only INT8 and FP32 → INT8 ÷ 2', async () => {
    const c = await loadCatalog();
    const t20 = lookup(c, { vendor: 'enflame', model: 'T20' });
    expect(nominalFp16(c, t20, 'T20')).toMatchObject({ tflops: 160, basis: 'int8/2', weak: false });
    expect(nominalFp16(c, t20, 'T20', { int8: 0.25 })).toMatchObject({ tflops: 80 });
  });

  it('a model not in the catalogue is unknown and says how to add it', async () => {
    const c = await loadCatalog();
    expect(nominalFp16(c, undefined, 'Ascend 310')).toEqual({
      basis: 'unknown',
      kind: 'nominal',
      weak: false,
      source: `not in catalogue v${c.version}: add "Ascend 310" to a site override`,
    });
  });
});

describe('site override', () => {
  const entry = {
    id: 'cambricon-mlu370-x8',
    vendor: 'cambricon',
    model: 'Cambricon MLU370-X8',
    match: { names: ['MLU370-X8'] },
    dense: { fp16: 96 },
    domestic: true,
    source: 'site datasheet scan, procurement 2026-03',
    verified: true,
  };

  it('corrects a model and is reported as the source', async () => {
    const path = await tempFile(JSON.stringify({ version: 'site-1', models: [entry] }));
    const c = await loadCatalog({ overridePath: path });
    const e = lookup(c, { vendor: 'cambricon', model: 'MLU370-X8' });
    expect(nominalFp16(c, e, 'MLU370-X8')).toMatchObject({ tflops: 96, basis: 'fp16', source: `site override ${path} cambricon-mlu370-x8: site datasheet scan, procurement 2026-03` });
    expect(c.version).toMatch(/\+site:site-1$/);
    expect(c.entries.filter((x) => x.id === 'cambricon-mlu370-x8')).toHaveLength(1);
  });

  it('adds a new model', async () => {
    const path = await tempFile(JSON.stringify({ version: 'site-2', models: [{ ...entry, id: 'huawei-ascend-310', vendor: 'huawei', model: 'Ascend 310', match: { names: ['Ascend 310'] }, dense: { int8: 22 } }] }));
    const c = await loadCatalog({ overridePath: path });
    expect(nominalFp16(c, lookup(c, { vendor: 'huawei', model: 'Ascend 310' }), 'Ascend 310')).toMatchObject({ tflops: 11, basis: 'int8/2' });
  });

  it('rejects a broken override with every problem listed', async () => {
    const bad = { version: '', models: [{ ...entry, vendor: 'acme', dense: { fp16: -1, tf32: 5 }, domestic: 'yes' }, { ...entry, verified: false }] };
    const path = await tempFile(JSON.stringify(bad));
    const e = await loadCatalog({ overridePath: path }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CatalogError);
    const msg = (e as Error).message;
    expect(msg).toContain(`site override ${path} is invalid`);
    expect(msg).toContain('"version" must be a non-empty string');
    expect(msg).toContain('models[0].vendor must be one of nvidia');
    expect(msg).toContain('models[0].dense.fp16 must be a positive number');
    expect(msg).toContain('models[0].dense.tf32: unknown precision');
    expect(msg).toContain('models[0].domestic must be true or false');
    expect(msg).toContain('models[1]: an unverified model must not state figures (found fp16)');
  });

  it('says when the file is missing or not JSON', async () => {
    await expect(loadCatalog({ overridePath: '/nonexistent/site.json' })).rejects.toThrow(/cannot read site override \/nonexistent\/site.json/);
    await expect(loadCatalog({ overridePath: await tempFile('{ nope') })).rejects.toThrow(/is not valid JSON/);
  });

  it('domestic must agree with the vendor list of the protocol', () => {
    expect(() => validateCatalog({ version: '1', models: [{ ...entry, domestic: false }] }, 'test')).toThrow(/domestic contradicts vendor cambricon/);
  });
});
