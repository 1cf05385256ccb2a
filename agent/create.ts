// The agent for this machine, wired from its configuration: real host facts and inventory,
// vendor-tool detection with the site's catalogue override, FP16 factors and tool timeout, real
// benchmarks, network probes and the peer-probe responder (the Agent's defaults). `banyan agent`
// and `npm start` build it here.
import type { Logger } from 'pino';
import type { Factors } from '../protocol/fp16.ts';
import { Agent } from './agent.ts';
import type { AgentConfig } from './config.ts';
import { createAcceleratorSource } from './detect/index.ts';
import { DEFAULT_TELEMETRY_TIMEOUT_MS } from './detect/telemetry.ts';
import { SystemHostSource } from './host.ts';
import { collectInventory } from './inventory/index.ts';

export function createNodeAgent(config: AgentConfig, log?: Logger): Agent {
  const accelerators = createAcceleratorSource({
    timeoutMs: config.toolTimeoutMs,
    // Each interval's tool calls must end well before the next interval starts.
    telemetryTimeoutMs: Math.min(config.toolTimeoutMs, DEFAULT_TELEMETRY_TIMEOUT_MS, Math.max(200, Math.floor(config.telemetryIntervalMs / 2))),
    // Validated by checkFactors when the configuration was loaded.
    factors: config.fp16Factors as Partial<Factors>,
    ...(config.catalogOverridePath ? { catalogOverridePath: config.catalogOverridePath } : {}),
  });
  const inventory = config.inventoryTimeoutMs > 0 ? (signal: AbortSignal) => collectInventory({ timeoutMs: config.inventoryTimeoutMs, signal }) : undefined;
  return new Agent(config, { host: new SystemHostSource({ meter: config.hostMeter }), accelerators, ...(inventory ? { inventory } : {}), ...(log ? { log } : {}) });
}
