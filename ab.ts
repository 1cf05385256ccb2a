import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from './orchestrator/broker.ts';
import { encode } from './protocol/codec.ts';
import { SCHEMA_VERSION } from './protocol/messages.ts';
import { orchestratorStateTopic } from './protocol/topics.ts';
const scratch = mkdtempSync(join(tmpdir(), 'ab-'));
const broker = await startEmbeddedBroker({ port: 0 });
const root = `ab-${randomUUID().slice(0, 8)}/banyan/v1`;
const client = await mqtt.connectAsync(broker.url);
await client.publishAsync(orchestratorStateTopic(root), Buffer.from(encode({ schemaVersion: SCHEMA_VERSION, msgId: randomUUID(), nodeId: '_orchestrator', sessionId: 'ab', seq: 1, sentAtMs: Date.now(), body: 'state', state: { status: 'ONLINE' } })), { qos: 1, retain: true });
const variants: [string, string, Record<string, string>][] = JSON.parse(process.argv[2]!);
const kids: [string, ChildProcess][] = [];
for (const [name, launcher, env] of variants) {
  const config = join(scratch, `${name}.yaml`);
  writeFileSync(config, readFileSync('deploy/agent.yaml.template', 'utf8').replaceAll('@NODE_ID@', name).replaceAll('@SITE@', 'ab').replaceAll('@BROKER_URL@', broker.url));
  kids.push([name, spawn(launcher, ['agent', '--config', config, '--state-dir', join(scratch, name), '--bench-budget', '0', '--telemetry-interval', '1000'], { env: { ...process.env, BANYAN_TOPIC_ROOT: root, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] })]);
}
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
await new Promise((r) => setTimeout(r, 40_000));
const samples = new Map<string, number[]>(kids.map(([n]) => [n, []]));
for (let i = 0; i < 40; i++) {
  for (const [n, k] of kids) samples.get(n)!.push(rss(k.pid!));
  await new Promise((r) => setTimeout(r, 1000));
}
for (const [n, s] of samples) { s.sort((a, b) => a - b); console.log(n, 'median', s[s.length >> 1]!.toFixed(1), 'min', s[0]!.toFixed(1), 'max', s.at(-1)!.toFixed(1)); }
for (const [, k] of kids) k.kill('SIGTERM');
await client.endAsync(); await broker.close(); process.exit(0);
