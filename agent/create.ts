// The agent for this machine, wired from its configuration: real host facts and inventory, vendor-tool
// detection with the site's catalogue override, FP16 factors and tool timeout, real benchmarks
// and TCP probes (the Agent's defaults). `banyan agent` and `npm start` build it here.
import type { Logger } from 'pino';
import type { Factors } from '../protocol/fp16.ts';
import { Agent } from './agent.ts';
import type { AgentConfig } from './config.ts';
import { createAcceleratorSource } from './detect/index.ts';
import { SystemHostSource } from './host.ts';
import { collectInventory } from './inventory/index.ts';

export function createNodeAgent(config: AgentConfig, log?: Logger): Agent {
  const accelerators = createAcceleratorSource({
    timeoutMs: config.toolTimeoutMs,
    // Validated by checkFactors when the configuration was loaded.
    factors: config.fp16Factors as Partial<Factors>,
    ...(config.catalogOverridePath ? { catalogOverridePath: config.catalogOverridePath } : {}),
  });
  const inventory = config.inventoryTimeoutMs > 0 ? (signal: AbortSignal) => collectInventory({ timeoutMs: config.inventoryTimeoutMs, signal }) : undefined;
  return new Agent(config, { host: new SystemHostSource({ meter: config.hostMeter }), accelerators, ...(inventory ? { inventory } : {}), ...(log ? { log } : {}) });
}
