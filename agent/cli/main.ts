// The edge agent's own entry (bundled to dist/banyan-agent.mjs by deploy/bundle/agent-bundle.mjs):
// only the commands an edge box runs, so it carries none of the orchestrator or the simulators.
import { dispatch } from '../../protocol/cli-dispatch.ts';
import { AGENT_COMMANDS } from './commands.ts';

/** The launcher's allocator settings are for this process; what it spawns gets none of them. */
function dropAgentOnlyEnv(env: NodeJS.ProcessEnv): void {
  for (const name of (env.BANYAN_AGENT_ONLY_ENV ?? '').split(' ')) if (name) delete env[name];
  delete env.BANYAN_AGENT_ONLY_ENV;
}

dropAgentOnlyEnv(process.env);
process.exitCode = await dispatch('banyan-agent', 'banyan-agent — the Banyan edge agent', AGENT_COMMANDS, process.argv.slice(2));
