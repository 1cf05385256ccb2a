// A simulated host: facts from the node spec, load that wanders like a real edge box's, seeded.
import type { Host } from '../../protocol/messages.ts';
import type { HostSample, HostSource } from '../../agent/hardware.ts';
import type { SimNodeSpec } from './scenario.ts';
import { Rng } from './rng.ts';

export class SimHostSource implements HostSource {
  private readonly rng: Rng;
  private cpu: number;

  constructor(
    private readonly spec: SimNodeSpec,
    private readonly accelerators: number,
  ) {
    this.rng = new Rng(spec.seed);
    this.cpu = 10 + this.rng.next() * 30;
  }

  async facts(): Promise<Host> {
    return {
      hostname: this.spec.id,
      os: 'openEuler 22.03 (simulated)',
      arch: 'x64',
      cpuModel: 'Hygon C86 7390 (simulated)',
      cpuCores: this.spec.cpuCores,
      memoryMib: this.spec.memoryMib,
    };
  }

  async sample(): Promise<HostSample> {
    this.cpu = Math.min(100, Math.max(1, this.cpu + this.rng.normal() * 4));
    return {
      cpuPct: round1(this.cpu),
      memoryUsedPct: round1(30 + this.cpu / 3),
      load1: round1((this.cpu / 100) * this.spec.cpuCores),
      accelerators: Array.from({ length: this.accelerators }, (_, index) => ({
        index,
        utilPct: round1(Math.max(0, Math.min(100, this.cpu + this.rng.normal() * 10))),
        memoryUsedMib: Math.round(this.rng.next() * 8192),
        temperatureC: round1(40 + this.cpu / 3),
        powerW: round1(80 + this.cpu * 2),
        health: 'ok' as const,
      })),
      acceleratorErrors: [],
    };
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
