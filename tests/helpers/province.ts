// An upstream orchestrator for federation tests: no broker of its own to speak of, no fleet, the
// plugins given (federation first), and member cities from a city → token record.
import { parseMembers, type Member } from '../../orchestrator/federation/members.ts';
import { Orchestrator, type OrchestratorOptions } from '../../orchestrator/orchestrator.ts';
import { quietLog } from './quiet-log.ts';

export function membersOf(tokens: Record<string, string>): Member[] {
  return parseMembers(Object.entries(tokens).map(([city, token]) => `${city} ${token}`).join('\n'), 'test');
}

export function startProvince(plugins: NonNullable<OrchestratorOptions['plugins']>): Promise<Orchestrator> {
  return Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: quietLog, peerProbes: false, plugins });
}
