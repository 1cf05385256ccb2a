// Host telemetry: /proc/net/dev parsed (captured text and garbage), rates from counters, and both
// meters on this machine: the root filesystem's size and free space, and NIC rates from the
// second sample on.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadAgentConfig } from '../../agent/config.ts';
import { countedNic, netRates, parseNetDev, sumNics, SystemHostSource, type HostMeterName } from '../../agent/host.ts';
import { tempDir } from './harness.ts';

// Captured on this machine (a container: loopback, two ifb shapers, eth0).
const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 8221478   24161    0    0    0     0          0         0  8221478   24161    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 251045245    9949    0    0    0     0          0         0   604852    6130    0    0    0     0       0          0
`;

const netDevLine = (name: string, rx: number, tx: number) => `  ${name}: ${rx} 1 0 0 0 0 0 0 ${tx} 1 0 0 0 0 0 0`;

describe('/proc/net/dev', () => {
  it('reads bytes received and sent per interface', () => {
    const m = parseNetDev(NET_DEV);
    expect([...m.keys()]).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(m.get('eth0')).toEqual({ rxBytes: 251_045_245, txBytes: 604_852 });
    expect(sumNics(m)).toEqual({ rxBytes: 251_045_245, txBytes: 604_852 }); // loopback and shapers not counted
  });

  it('skips lines that do not parse instead of inventing counters', () => {
    const m = parseNetDev(['garbage', 'eth0: 12 34', netDevLine('eth1', 5, 6), '  eth2: x 1 0 0 0 0 0 0 9 1 0 0 0 0 0 0', ''].join('\n'));
    expect([...m]).toEqual([['eth1', { rxBytes: 5, txBytes: 6 }]]);
  });

  it('counts physical NICs, not the virtual ones that carry the same bytes', () => {
    expect(['eth0', 'ens1f0', 'enp3s0', 'bond0', 'wlan0'].filter(countedNic)).toHaveLength(5);
    expect(['lo', 'veth12ab', 'docker0', 'br-3f2a', 'virbr0', 'cni0', 'flannel.1', 'cali123', 'tun0'].filter(countedNic)).toEqual([]);
  });

  it('turns counters into rates, and gives none when a counter went backwards', () => {
    expect(netRates({ rxBytes: 1000, txBytes: 0 }, { rxBytes: 3000, txBytes: 500 }, 2)).toEqual({ rx: 1000, tx: 250 });
    expect(netRates({ rxBytes: 1000, txBytes: 0 }, { rxBytes: 10, txBytes: 500 }, 2)).toBeUndefined();
    expect(netRates({ rxBytes: 0, txBytes: 0 }, { rxBytes: 0, txBytes: 0 }, 0)).toBeUndefined();
  });
});

describe('SystemHostSource', () => {
  it('rates the counted NICs from a fake /proc between two samples', async () => {
    const t = tempDir('banyan-proc-');
    try {
      mkdirSync(join(t.dir, 'net'));
      const write = (rx: number, tx: number) => writeFileSync(join(t.dir, 'net/dev'), ['h1', 'h2', netDevLine('lo', 1e9, 1e9), netDevLine('eth0', rx, tx)].join('\n'));
      write(1_000_000, 2_000_000);
      const src = new SystemHostSource({ procRoot: t.dir });
      const first = await src.sample();
      expect(first.netRxBytesPerS).toBeUndefined();
      await new Promise((r) => setTimeout(r, 200));
      write(1_100_000, 2_000_000);
      const second = await src.sample();
      expect(second.netRxBytesPerS).toBeGreaterThan(0);
      expect(second.netRxBytesPerS).toBeLessThanOrEqual(100_000 / 0.2);
      expect(second.netTxBytesPerS).toBe(0);
    } finally {
      t.remove();
    }
  });

  for (const meter of ['proc', 'node-os-utils'] as HostMeterName[]) {
    it(`reports disk and network figures on this machine (${meter})`, async () => {
      const src = new SystemHostSource({ meter });
      const first = await src.sample();
      expect(first.diskTotalMib).toBeGreaterThan(0);
      expect(first.diskFreeMib).toBeGreaterThanOrEqual(0);
      expect(first.diskFreeMib).toBeLessThanOrEqual(first.diskTotalMib!);
      expect(first.netRxBytesPerS).toBeUndefined(); // no previous counters yet
      expect(first.memoryUsedPct).toBeGreaterThan(0);
      expect(first.memoryUsedPct).toBeLessThanOrEqual(100);
      expect(first.accelerators).toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
      const second = await src.sample();
      expect(second.netRxBytesPerS).toBeGreaterThanOrEqual(0);
      expect(second.netTxBytesPerS).toBeGreaterThanOrEqual(0);
      expect(second.cpuPct).toBeGreaterThanOrEqual(0);
      expect(second.cpuPct).toBeLessThanOrEqual(100);
      // The same filesystem size as df(1) reports for /.
      const df = spawnSync('df', ['-k', '--output=size', '/'], { encoding: 'utf8' });
      expect(df.status, df.stderr).toBe(0);
      expect(second.diskTotalMib).toBeCloseTo(Number(df.stdout.trim().split('\n')[1]) / 1024, -1);
    }, 20_000);
  }
});

describe('host settings', () => {
  it('defaults to the /proc meter and a 15 s inventory, and names a wrong meter', () => {
    expect(loadAgentConfig({ env: {} })).toMatchObject({ hostMeter: 'proc', inventoryTimeoutMs: 15_000 });
    expect(loadAgentConfig({ env: { BANYAN_HOST_METER: 'node-os-utils', BANYAN_INVENTORY_TIMEOUT_MS: '0' } })).toMatchObject({ hostMeter: 'node-os-utils', inventoryTimeoutMs: 0 });
    expect(() => loadAgentConfig({ env: { BANYAN_HOST_METER: 'sigar' } })).toThrow(ConfigError);
    expect(() => loadAgentConfig({ env: { BANYAN_HOST_METER: 'sigar' } })).toThrow(/hostMeter: /);
  });
});
