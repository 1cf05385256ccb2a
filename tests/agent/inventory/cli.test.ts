// `banyan detect --host`: the inventory as a table for people and as the HostInventory object for
// scripts (run from source here; the bundle's run is in tests/deploy/agent-bundle.test.ts).
import { describe, expect, it } from 'vitest';
import { detectCommand, renderInventory } from '../../../agent/cli/detect.ts';
import type { HostInventory } from '../../../protocol/messages.ts';

const inv: HostInventory = {
  systemVendor: 'Dell Inc.',
  systemModel: 'PowerEdge R750xa',
  systemSerial: '',
  cpuModel: 'Intel Xeon Gold 6338',
  cpuPhysicalCores: 64,
  cpuThreads: 128,
  cpuMaxMhz: 3200,
  memoryMib: 524_288,
  disks: [{ name: '/dev/nvme0n1', model: 'Samsung SSD PM9A3', sizeBytes: 3_840_755_982_336, type: 'NVMe' }],
  nics: [{ name: 'ens1f0', mac: 'b8:ce:f6:00:00:01', speedMbps: 25000, addresses: ['10.20.0.7'] }],
  os: 'Ubuntu 22.04.4 LTS',
  kernel: '5.15.0-105-generic',
  virtualization: 'none',
  source: 'systeminformation@5.33.31',
  collectedAtMs: Date.UTC(2026, 11, 5, 8, 0, 0),
};

describe('banyan detect --host', () => {
  it('renders the inventory for people, saying what could not be read', () => {
    const text = renderInventory(inv);
    expect(text).toContain('system          Dell Inc. PowerEdge R750xa\n');
    expect(text).toContain('serial          - (not readable; DMI serials are often root-only)\n');
    expect(text).toContain('cpu             Intel Xeon Gold 6338, 64 cores / 128 threads, max 3200 MHz\n');
    expect(text).toContain('memory          512.0 GiB\n');
    expect(text).toMatch(/^\/dev\/nvme0n1\s+Samsung SSD PM9A3\s+3577\.0 GiB\s+NVMe$/m);
    expect(text).toMatch(/^ens1f0\s+b8:ce:f6:00:00:01\s+25000 Mb\/s\s+10\.20\.0\.7$/m);
    expect(text).toContain('Source: systeminformation@5.33.31, taken 2026-12-05T08:00:00.000Z\n');
    expect(renderInventory({ ...inv, disks: [], nics: [], cpuMaxMhz: 0 })).toMatch(/max clock unknown[\s\S]*No disks reported\.[\s\S]*No NICs reported\./);
  });

  it('prints the HostInventory object with --json', async () => {
    let out = '';
    let err = '';
    const code = await detectCommand(['--host', '--json', '--timeout', '60'], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    expect(code, err).toBe(0);
    const doc = JSON.parse(out) as HostInventory;
    expect(Object.keys(doc).sort()).toEqual(Object.keys(inv).sort());
    expect(doc.source).toMatch(/^systeminformation@5\./);
    expect(doc.cpuThreads).toBeGreaterThan(0);
  }, 90_000);
});
