// The orchestrator's commands, shared by `banyan` and the orchestrator's own entry (its container
// image); each loads only when used.
import type { Command } from '../../protocol/cli-dispatch.ts';

const OPERATOR_SUMMARIES: Record<string, string> = {
  nodes: 'list nodes: state, site, accelerators, nominal and measured FP16-eq',
  node: "one node's details and its accelerators' benchmarks",
  workloads: 'list workloads: state, node, SLO, RTT',
  submit: 'submit a workload spec (YAML or JSON file)',
  explain: 'why a workload is where it is: filters and top candidates',
  resolve: "a workload's healthy instances, nearest first (--near SITE|LAT,LON)",
  move: 'move a workload to another node (--to NODE)',
  stop: 'stop a workload',
  summary: 'fleet totals: PFLOPS nominal and measured, domestic share, vendors',
};

export const SERVE_COMMAND: Command = {
  summary: 'run the orchestrator (API, registry, placement)',
  run: async (argv) => (await import('./serve.ts')).serveCommand(argv),
};

/** Credentials, then the operator commands that talk to a running orchestrator over HTTP (operator.ts). */
export const OPERATOR_COMMANDS: Record<string, Command> = {
  creds: { summary: 'broker accounts, ACL and TLS config; API tokens', run: async (argv) => (await import('./creds.ts')).credsCommand(argv) },
  ...Object.fromEntries(
    Object.entries(OPERATOR_SUMMARIES).map(([name, summary]) => [
      name,
      { summary, run: async (argv: string[]) => (await import('./operator.ts')).operatorCommand(name, argv) } satisfies Command,
    ]),
  ),
  ledger: { summary: 'the compute ledger; `ledger verify` checks its hash chain', run: async (argv) => (await import('./books.ts')).booksCommand('ledger', argv) },
  report: { summary: 'supply and demand subsidy reports, city progress to 400 P', run: async (argv) => (await import('./books.ts')).booksCommand('report', argv) },
  federation: { summary: "member cities' tokens, and the upstream's view of its members and their sum", run: async (argv) => (await import('./federation.ts')).federationCommand(argv) },
  tenant: { summary: "tenants' price plans (CNY per PFLOPS-hour or accelerator-hour)", run: async (argv) => (await import('./books.ts')).booksCommand('tenant', argv) },
};

export const ORCHESTRATOR_COMMANDS: Record<string, Command> = { orchestrator: SERVE_COMMAND, ...OPERATOR_COMMANDS };
