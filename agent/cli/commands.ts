// The agent's commands, shared by `banyan` and the bundled `banyan-agent`; each loads only when used.
import type { Command } from '../../protocol/cli-dispatch.ts';

export const AGENT_COMMANDS: Record<string, Command> = {
  agent: { summary: 'run the agent for this machine', run: async (argv) => (await import('./agent.ts')).agentCommand(argv) },
  detect: { summary: "list this machine's accelerators with nominal FP16-eq", run: async (argv) => (await import('./detect.ts')).detectCommand(argv) },
  bench: { summary: "measure this machine's FP16-eq throughput and latency", run: async (argv) => (await import('./bench.ts')).benchCommand(argv) },
};
