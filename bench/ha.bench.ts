// Leader failover on real processes: orchestrators on one PostgreSQL database and one private
// Mosquitto; SIGKILL the leader and time until a standby answers GET /v1/ha as leader. The lease
// is 1 s here (the default is 10 s); failover is bounded by the lease plus one renewal period.
import { PrivateMosquitto } from '../simulators/chaos/mosquitto.ts';
import { OrchestratorProcess } from '../tests/helpers/ha-cluster.ts';
import { createTestDatabase } from '../tests/helpers/postgres.ts';
import type { Figure } from './figures.ts';

const LEASE_MS = 1000;
const KILLS = 3;
/** Well under the bench's per-module budget; a round past it fails the module. */
const DEADLINE_MS = 40_000;

export default async function haBench(): Promise<Figure[]> {
  const db = await createTestDatabase();
  if (!db) throw new Error('ha bench needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres or root)');
  const started = performance.now();
  const broker = await PrivateMosquitto.start();
  const procs: OrchestratorProcess[] = [];
  const spawnOne = async () => {
    const p = await OrchestratorProcess.start({ storeUrl: db.url, brokerUrl: broker.url, topicRoot: 'ha-bench/banyan/v1', leaseMs: LEASE_MS });
    procs.push(p);
    return p;
  };
  const role = (p: OrchestratorProcess) => p.ha().then((v) => v.role, () => 'down');
  const until = async (what: string, ok: () => Promise<boolean>) => {
    while (!(await ok())) {
      if (performance.now() - started > DEADLINE_MS) throw new Error(`ha bench: ${what} not within its ${DEADLINE_MS} ms budget`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    let leader = await spawnOne();
    await until('first leader', async () => (await role(leader)) === 'leader');
    const times: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const standby = await spawnOne();
      await until('standby up', async () => (await role(standby)) === 'standby');
      leader.signal('SIGKILL');
      const t0 = performance.now();
      await until('standby takes over', async () => (await role(standby)) === 'leader');
      times.push(performance.now() - t0);
      leader = standby;
    }
    times.sort((a, b) => a - b);
    return [
      {
        name: 'ha.failover_ms',
        value: times[Math.floor(times.length / 2)]!,
        unit: 'ms',
        note: `median of ${KILLS} SIGKILLs of the leader process, lease ${LEASE_MS} ms (renewed every ${Math.floor(LEASE_MS / 3)} ms); all: ${times.map((t) => Math.round(t)).join(', ')} ms`,
      },
    ];
  } finally {
    for (const p of procs) await p.stop();
    await broker.stop();
    await db.drop();
  }
}
