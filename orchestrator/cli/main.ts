// The orchestrator's own entry (bin/banyan-orchestrator.js; the container image runs it): only the
// orchestrator's commands, so its image needs neither the agent nor the simulators.
import { dispatch } from '../../protocol/cli-dispatch.ts';
import { ORCHESTRATOR_COMMANDS } from './commands.ts';

export function main(argv: string[]): Promise<number> {
  return dispatch('banyan-orchestrator', 'banyan-orchestrator — the Banyan city orchestrator', ORCHESTRATOR_COMMANDS, argv);
}
