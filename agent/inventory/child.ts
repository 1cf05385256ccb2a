// The host inventory child: asks systeminformation once, prints one HostInventory as JSON on
// stdout, exits. The agent runs it in its own short-lived process (agent/inventory/index.ts), so
// the library's memory and its blocking execSync calls never sit in the agent. Bundled on its own
// as dist/banyan-inventory.mjs. graphics() is never called: it blocks on nvidia-smi.
import si from 'systeminformation';
import { cpufreqMaxMhz, toInventory } from './map.ts';

const SOURCE = `systeminformation@${si.version()}`;

try {
  const [system, cpu, mem, disks, nics, os, maxMhz] = await Promise.all([
    si.system(),
    si.cpu(),
    si.mem(),
    si.diskLayout(),
    si.networkInterfaces(),
    si.osInfo(),
    cpufreqMaxMhz(process.env.BANYAN_SYSFS_ROOT || '/sys'),
  ]);
  const inventory = toInventory({ system, cpu, mem, disks, nics: Array.isArray(nics) ? nics : [nics], os }, maxMhz, SOURCE, Date.now());
  process.stdout.write(JSON.stringify(inventory) + '\n');
  // systeminformation may leave timers behind; the answer is out, so leave now.
  process.exit(0);
} catch (e) {
  process.stderr.write(`host inventory failed: ${(e as Error).message}\n`);
  process.exit(1);
}
