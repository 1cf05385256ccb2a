// The `banyan` command: one entry point, each sub-command loaded only when used (an agent on a
// small edge box should not pay for the orchestrator's dependencies).
import { AGENT_COMMANDS } from './agent/cli/commands.ts';
import { OPERATOR_COMMANDS, SERVE_COMMAND } from './orchestrator/cli/commands.ts';
import { dispatch, type Command } from './protocol/cli-dispatch.ts';

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
  orchestrator: SERVE_COMMAND,
  sim: { summary: 'simulated fleet with faults against an orchestrator, then a report', run: async (argv) => (await import('./simulators/fleet/cli.ts')).simCommand(argv) },
  ...OPERATOR_COMMANDS,
};

export function main(argv: string[]): Promise<number> {
  return dispatch('banyan', 'banyan — edge compute node agent and orchestrator', COMMANDS, argv);
}
