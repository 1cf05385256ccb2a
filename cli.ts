// The `banyan` command: one entry point, each sub-command loaded only when used (an agent on a
// small edge box should not pay for the orchestrator's dependencies).
import { AGENT_COMMANDS } from './agent/cli/commands.ts';
import { dispatch, type Command } from './cli-dispatch.ts';

const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'orchestrator + embedded broker + local agent + simulated fleet (what npm start runs)',
    run: async (argv) => {
      const { start } = await import('./main.ts');
      await start(argv);
      return new Promise<number>(() => undefined);
    },
  },
  ...AGENT_COMMANDS,
  orchestrator: { summary: 'run the orchestrator (API, registry, placement)', run: async (argv) => (await import('./orchestrator/cli/serve.ts')).serveCommand(argv) },
  sim: { summary: 'simulated fleet with faults against an orchestrator, then a report', run: async (argv) => (await import('./simulators/fleet/cli.ts')).simCommand(argv) },
  ledger: { summary: 'the compute ledger; `ledger verify` checks its hash chain', run: async (argv) => (await import('./orchestrator/cli/books.ts')).booksCommand('ledger', argv) },
  report: { summary: 'supply and demand subsidy reports, city progress to 400 P', run: async (argv) => (await import('./orchestrator/cli/books.ts')).booksCommand('report', argv) },
  tenant: { summary: "tenants' price plans (CNY per PFLOPS-hour or accelerator-hour)", run: async (argv) => (await import('./orchestrator/cli/books.ts')).booksCommand('tenant', argv) },
  creds: { summary: 'broker accounts, ACL and TLS config; API tokens', run: async (argv) => (await import('./orchestrator/cli/creds.ts')).credsCommand(argv) },
  ...operatorCommands({
    nodes: 'list nodes: state, site, accelerators, nominal and measured FP16-eq',
    node: "one node's details and its accelerators' benchmarks",
    workloads: 'list workloads: state, node, SLO, RTT',
    submit: 'submit a workload spec (YAML or JSON file)',
    explain: 'why a workload is where it is: filters and top candidates',
    move: 'move a workload to another node (--to NODE)',
    stop: 'stop a workload',
    summary: 'fleet totals: PFLOPS nominal and measured, domestic share, vendors',
  }),
};

/** The operator commands talk to a running orchestrator over HTTP (orchestrator/cli/operator.ts). */
function operatorCommands(summaries: Record<string, string>): Record<string, Command> {
  return Object.fromEntries(
    Object.entries(summaries).map(([name, summary]) => [
      name,
      { summary, run: async (argv: string[]) => (await import('./orchestrator/cli/operator.ts')).operatorCommand(name, argv) },
    ]),
  );
}

export function main(argv: string[]): Promise<number> {
  return dispatch('banyan', 'banyan — edge compute node agent and orchestrator', COMMANDS, argv);
}
