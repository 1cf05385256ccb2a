// The orchestrator's container image starts and works, checked without Docker: the files its
// Dockerfile copies are laid out in a scratch root (tests/deploy/image-layout.ts), its entry point
// runs from there with the image's own CMD (the external broker swapped for the embedded one on a
// free port, bound to loopback), and a node that says hello over MQTT shows up in the API.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { encode } from '../../protocol/codec.ts';
import { DEFAULT_TOPIC_ROOT, nodeTopic } from '../../protocol/topics.ts';
import { birth, envelope } from '../helpers/envelopes.ts';
import { waitFor } from '../helpers/wait.ts';
import { layOutImage, type ImageLayout } from './image-layout.ts';

const REPO = join(import.meta.dirname, '../..');
const DOCKERFILE = join(REPO, 'deploy/docker/Dockerfile.orchestrator');

const scratch = mkdtempSync(join(tmpdir(), 'banyan-orch-image-'));
let child: ChildProcess | null = null;
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** The image's CMD for this machine: no external broker (embedded, any free port), loopback only. */
function localArgs(command: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < command.length; i++) {
    const a = command[i]!;
    if (a === '--broker') i++;
    else if (a === '--http-host') out.push(a, '127.0.0.1', (i++, '--http-port'), '0', '--mqtt-port', '0');
    else out.push(a);
  }
  return out;
}

describe('orchestrator image (Dockerfile.orchestrator laid out, no Docker)', () => {
  let layout: ImageLayout;

  it('holds only what the orchestrator needs: no agent, no simulators, no root CLI files', () => {
    layout = layOutImage(DOCKERFILE, REPO, scratch);
    expect(layout.copied).toEqual(expect.arrayContaining(['/opt/banyan/node_modules', '/opt/banyan/protocol', '/opt/banyan/orchestrator']));
    for (const absent of ['agent', 'simulators', 'cli.ts', 'main.ts']) expect(existsSync(join(layout.cwd, absent)), absent).toBe(false);
    // devDependencies are not in the image: production code importing one fails below.
    expect(existsSync(join(layout.cwd, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(layout.cwd, 'node_modules/fastify'))).toBe(true);
  });

  it('its entry point serves /healthz and sees a node that says hello', async () => {
    const [exe, ...args] = layout.command;
    const out: string[] = [];
    const proc = spawn(exe === 'node' ? process.execPath : exe!, localArgs(args), {
      cwd: layout.cwd,
      // Nothing from this checkout's environment leaks in: the image's ENV, a PATH, a home.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(scratch, 'var/lib/banyan'), LOG_LEVEL: 'warn', ...layout.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    proc.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    const exitedEarly = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`it exited with ${code}:\n${out.join('')}`))));
    exitedEarly.catch(() => undefined);
    const printed = waitFor(
      'the orchestrator to print its API and broker URLs',
      () => {
        const m = /API (http:\/\/\S+)\s+broker (mqtt:\/\/\S+)/.exec(out.join(''));
        return m ? { api: m[1]!, broker: m[2]! } : null;
      },
      60_000,
      100,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- its output ---\n${out.join('')}`);
    });
    const urls = await Promise.race([printed, exitedEarly]);

    const health = await fetch(`${urls.api}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, mqtt: true });

    const nodeId = 'image-node-1';
    const client = await mqtt.connectAsync(urls.broker, { clientId: nodeId, reconnectPeriod: 0 });
    try {
      const env = envelope({ body: 'birth', birth: birth() }, { nodeId, sessionId: 'img-s1', seq: 1 });
      await client.publishAsync(nodeTopic(DEFAULT_TOPIC_ROOT, 'site-img', nodeId, 'birth'), Buffer.from(encode(env)), { qos: 1, retain: true });
    } finally {
      await client.endAsync();
    }
    const node = await waitFor('the node in GET /v1/nodes', async () => {
      const r = (await (await fetch(`${urls.api}/v1/nodes`)).json()) as { nodes: { id: string; status: string; site: string }[] };
      return r.nodes.find((n) => n.id === nodeId);
    });
    expect(node).toMatchObject({ id: nodeId, status: 'online', site: 'site-img' });

    proc.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    expect(code).toBe(0);
    // It kept its state where the image's volume is.
    expect(existsSync(join(scratch, 'var/lib/banyan/orchestrator/orchestrator.json'))).toBe(true);
  }, 90_000);
});
