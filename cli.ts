// The `banyan` command: one entry point, each sub-command loaded only when used (an agent on a
// small edge box should not pay for the orchestrator's dependencies).
type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'orchestrator + embedded broker + local agent + simulated fleet (what npm start runs)',
    run: async (argv) => {
      const { start } = await import('./main.ts');
      await start(argv);
      return new Promise<number>(() => undefined);
    },
  },
  agent: { summary: 'run the agent for this machine', run: async (argv) => (await import('./agent/cli/agent.ts')).agentCommand(argv) },
  detect: { summary: "list this machine's accelerators with nominal FP16-eq", run: async (argv) => (await import('./agent/cli/detect.ts')).detectCommand(argv) },
  bench: { summary: "measure this machine's FP16-eq throughput and latency", run: async (argv) => (await import('./agent/cli/bench.ts')).benchCommand(argv) },
  orchestrator: { summary: 'run the orchestrator (API, registry, placement)', run: async (argv) => (await import('./orchestrator/cli/serve.ts')).serveCommand(argv) },
  sim: { summary: 'simulated fleet with faults against an orchestrator, then a report', run: async (argv) => (await import('./simulators/fleet/cli.ts')).simCommand(argv) },
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

const HELP = `banyan — edge compute node agent and orchestrator

Usage: banyan <command> [options]     (banyan <command> --help for its options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`)
  .join('\n')}
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`banyan: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`banyan ${name}: ${err.message}; see banyan ${name} --help`);
      return 2;
    }
    console.error(`banyan ${name}: ${err.message}`);
    return 1;
  }
}
