// systeminformation's answers → HostInventory: a capture from this kind of machine (a container
// on a VM: no DMI, no cpufreq, no disks), and a server-shaped answer with the library's
// placeholders and nulls, plus the cpufreq fallback for the max clock.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpufreqMaxMhz, toInventory, type SiAnswers } from '../../../agent/inventory/map.ts';
import { tempDir } from '../harness.ts';

const captured = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/inventory/si-docker-epyc.json'), 'utf8')) as SiAnswers;

/** Shaped like systeminformation on a rack server: DMI readable, one NVMe, a 25G NIC and loopback. */
const server: SiAnswers = {
  system: { manufacturer: 'Dell Inc.', model: 'PowerEdge R750xa', serial: 'ABC1234', virtual: false },
  cpu: { manufacturer: 'Intel', brand: 'Xeon® Gold 6338', physicalCores: 64, cores: 128, speedMax: 3.2 },
  mem: { total: 512 * 2 ** 30 },
  disks: [
    { device: '/dev/nvme0n1', name: 'Samsung SSD PM9A3', size: 3_840_755_982_336, type: 'NVMe' },
    { device: '/dev/sda', name: '', size: null, type: 'HD' },
  ],
  nics: [
    { iface: 'lo', mac: '00:00:00:00:00:00', speed: null, ip4: '127.0.0.1', ip6: '::1', internal: true },
    { iface: 'ens1f0', mac: 'b8:ce:f6:00:00:01', speed: 25000, ip4: '10.20.0.7', ip6: '', internal: false },
    { iface: 'ens1f1', mac: 'b8:ce:f6:00:00:02', speed: -1, ip4: '', ip6: '', internal: false },
  ],
  os: { distro: 'Ubuntu', release: '22.04.4 LTS', kernel: '5.15.0-105-generic' },
};

describe('toInventory', () => {
  it('maps the captured container answer, with the cpufreq clock where the library has none', () => {
    const inv = toInventory(captured, 3700, 'systeminformation@5.33.31', 1000);
    expect(inv).toEqual({
      systemVendor: '',
      systemModel: 'Docker Container',
      systemSerial: '', // "-" is the library's "not readable"
      cpuModel: 'AMD EPYC',
      cpuPhysicalCores: 2,
      cpuThreads: 2,
      cpuMaxMhz: 3700,
      memoryMib: 24105,
      disks: [],
      nics: [{ name: 'eth0', mac: '02:fc:00:00:00:01', speedMbps: 0, addresses: ['192.0.2.2', 'fd00::2'] }],
      os: 'Debian GNU/Linux 12',
      kernel: '6.18.44-fc-v1272',
      virtualization: 'docker',
      source: 'systeminformation@5.33.31',
      collectedAtMs: 1000,
    });
  });

  it('maps a server: the library clock wins over cpufreq, nulls and -1 become 0, loopback is no NIC', () => {
    const inv = toInventory(server, 3700, 'si', 1);
    expect(inv).toMatchObject({ systemVendor: 'Dell Inc.', systemModel: 'PowerEdge R750xa', systemSerial: 'ABC1234', cpuModel: 'Intel Xeon® Gold 6338', cpuPhysicalCores: 64, cpuThreads: 128, cpuMaxMhz: 3200, memoryMib: 524_288, virtualization: 'none' });
    expect(inv.disks).toEqual([
      { name: '/dev/nvme0n1', model: 'Samsung SSD PM9A3', sizeBytes: 3_840_755_982_336, type: 'NVMe' },
      { name: '/dev/sda', model: '', sizeBytes: 0, type: 'HD' },
    ]);
    expect(inv.nics.map((n) => [n.name, n.speedMbps, n.addresses])).toEqual([
      ['ens1f0', 25000, ['10.20.0.7']],
      ['ens1f1', 0, []],
    ]);
  });

  it('names the hypervisor the library names, and reads DMI placeholders as unreadable', () => {
    const vm = toInventory({ ...server, system: { manufacturer: 'QEMU', model: 'Standard PC (Q35 + ICH9, 2009)', serial: 'Not Specified', virtual: true, virtualHost: 'KVM' } }, 0, 'si', 1);
    expect(vm).toMatchObject({ virtualization: 'KVM', systemSerial: '' });
    const unknownVm = toInventory({ ...server, system: { virtual: true } }, 0, 'si', 1);
    expect(unknownVm).toMatchObject({ virtualization: 'unknown', systemVendor: '', systemModel: '' });
  });

  it('leaves the clock 0 (unknown) when neither the library nor cpufreq gives one', () => {
    expect(toInventory({ ...server, cpu: { ...server.cpu, speedMax: 0 } }, 0, 'si', 1).cpuMaxMhz).toBe(0);
    expect(toInventory({ ...server, cpu: { ...server.cpu, speedMax: NaN } }, 2450, 'si', 1).cpuMaxMhz).toBe(2450);
  });
});

describe('cpufreqMaxMhz', () => {
  it('takes the highest cpuinfo_max_freq (kHz) over the CPUs that have one', async () => {
    const t = tempDir('banyan-cpufreq-');
    try {
      const cpu = (n: string, khz?: string) => {
        const d = join(t.dir, 'devices/system/cpu', n);
        mkdirSync(join(d, 'cpufreq'), { recursive: true });
        if (khz !== undefined) writeFileSync(join(d, 'cpufreq/cpuinfo_max_freq'), khz);
      };
      cpu('cpu0', '3500000\n');
      cpu('cpu1', '3700000\n');
      cpu('cpu2'); // no cpufreq
      cpu('cpu3', 'garbage');
      mkdirSync(join(t.dir, 'devices/system/cpu/cpufreq'), { recursive: true }); // not a CPU
      expect(await cpufreqMaxMhz(t.dir)).toBe(3700);
      expect(await cpufreqMaxMhz(join(t.dir, 'nowhere'))).toBe(0);
    } finally {
      t.remove();
    }
  });
});
