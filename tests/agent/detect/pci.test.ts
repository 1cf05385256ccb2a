import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeBusId, scanPci } from '../../../agent/detect/pci.ts';
import { writeFakeSysfs } from '../../../simulators/hardware/host.ts';

describe('PCI fallback', () => {
  it('lists function-0 accelerators of known vendors and skips audio functions, iGPUs and CPU bridges', async () => {
    const root = await mkdtemp(join(tmpdir(), 'banyan-pci-'));
    await writeFakeSysfs(root, { vendors: { nvidia: { count: 2 }, hygon: { count: 1 }, huawei: { count: 1 } } });
    const r = await scanPci(root, new Set(['10de', '1d94', '19e5', '8086']));
    expect(r.warnings).toEqual([]);
    expect(r.devices).toEqual([
      { busId: '0000:10:00.0', vendorId: '10de', deviceId: '2335', classCode: '030200' },
      { busId: '0000:11:00.0', vendorId: '10de', deviceId: '2335', classCode: '030200' },
      { busId: '0000:12:00.0', vendorId: '19e5', deviceId: 'd802', classCode: '120000' },
      { busId: '0000:13:00.0', vendorId: '1d94', deviceId: '6320', classCode: '038000' },
    ]);
  });

  it('a missing sysfs is a warning, not a crash', async () => {
    const r = await scanPci('/nonexistent-sysfs', new Set(['10de']));
    expect(r.devices).toEqual([]);
    expect(r.warnings[0]).toMatch(/PCI fallback unavailable: cannot read \/nonexistent-sysfs\/bus\/pci\/devices \(ENOENT\)/);
  });

  it('normalises every bus id spelling the tools print', () => {
    expect(normalizeBusId('00000000:83:00.0')).toBe('0000:83:00.0');
    expect(normalizeBusId('0000:5A:00.0')).toBe('0000:5a:00.0');
    expect(normalizeBusId('00:01:00.0')).toBe('0000:01:00.0');
    expect(normalizeBusId('4d:00.0')).toBe('0000:4d:00.0');
    expect(normalizeBusId('N/A')).toBeUndefined();
    expect(normalizeBusId(undefined)).toBeUndefined();
  });
});
