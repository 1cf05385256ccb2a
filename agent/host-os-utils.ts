// The node-os-utils meter (hostMeter: node-os-utils): CPU %, memory, the filesystem at diskPath
// and NIC byte counters from the library the design card names. Not the default: it costs more
// than /proc + statfs (it runs `df` for disk usage, keeps a cache and adapters); the figures are
// agent.rss_mb.node_os_utils and agent.cpu_pct.node_os_utils in `npm run bench -- agent`.
// Bundled on its own (dist/banyan-os-utils.mjs) and loaded only when chosen (agent/host.ts).
import { OSUtils } from 'node-os-utils';
import { sumNics, type HostMeter, type MeterReading } from './host-meter.ts';

export function createOsUtilsMeter(diskPath: string): HostMeter {
  // Fresh readings every interval: telemetry is what the cache would hide.
  const os = new OSUtils({ cacheEnabled: false, network: { includeInterfaceStats: true } });
  return {
    async read(): Promise<MeterReading> {
      const [cpu, mem, disk, net] = await Promise.all([os.cpu.usage(), os.memory.info(), os.disk.usageByMountPoint(diskPath), os.network.statsAsync()]);
      if (!cpu.success) throw new Error(`node-os-utils cpu.usage failed: ${cpu.error.message}`);
      if (!mem.success) throw new Error(`node-os-utils memory.info failed: ${mem.error.message}`);
      const r: MeterReading = { cpuPct: cpu.data, memoryUsedPct: mem.data.usagePercentage };
      if (disk.success && disk.data) r.disk = { freeBytes: disk.data.available.toBytes(), totalBytes: disk.data.total.toBytes() };
      if (net.success) r.net = sumNics(net.data.map((n) => [n.interface, { rxBytes: n.rxBytes.toBytes(), txBytes: n.txBytes.toBytes() }]));
      return r;
    },
  };
}
