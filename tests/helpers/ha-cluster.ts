// Orchestrator PROCESSES sharing one PostgreSQL store and one private Mosquitto (simulators/chaos), for failover tests
// and the ha bench: start, read GET /v1/ha, SIGKILL/SIGSTOP/SIGCONT.
import { spawn, type ChildProcess } from 'node:child_process';

const BIN = new URL('../../bin/banyan-orchestrator.js', import.meta.url).pathname;

export interface HaView {
  id: string;
  role: 'leader' | 'standby';
  epoch: number;
  leaderId: string;
  leaderUrl: string;
  fencedCommands: number;
}

export class OrchestratorProcess {
  private constructor(
    readonly proc: ChildProcess,
    readonly httpUrl: string,
    readonly id: string,
    readonly output: string[],
  ) {}

  static async start(o: { storeUrl: string; brokerUrl: string; topicRoot: string; leaseMs: number }): Promise<OrchestratorProcess> {
    const args = ['orchestrator', '--store', o.storeUrl, '--broker', o.brokerUrl, '--topic-root', o.topicRoot, '--lease-ms', String(o.leaseMs), '--http-port', '0'];
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    const output: string[] = [];
    const keep = (b: Buffer) => {
      output.push(b.toString());
      if (output.length > 200) output.shift();
    };
    proc.stderr!.on('data', keep);
    const line = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`orchestrator did not start in 20 s:\n${output.join('')}`)), 20_000);
      proc.stdout!.on('data', (b: Buffer) => {
        keep(b);
        const m = output.join('').match(/API (\S+) .* id (\S+)/);
        if (m) {
          clearTimeout(t);
          resolve(m);
        }
      });
      proc.once('exit', (code) => reject(new Error(`orchestrator exited (${code}) at start:\n${output.join('')}`)));
    });
    return new OrchestratorProcess(proc, line[1]!, line[2]!, output);
  }

  async ha(): Promise<HaView> {
    return (await (await fetch(`${this.httpUrl}/v1/ha`, { signal: AbortSignal.timeout(2000) })).json()) as HaView;
  }

  async get<T>(path: string): Promise<T> {
    return (await (await fetch(`${this.httpUrl}${path}`, { signal: AbortSignal.timeout(2000) })).json()) as T;
  }

  post(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  }

  signal(s: NodeJS.Signals): void {
    this.proc.kill(s);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGCONT');
    this.proc.kill('SIGKILL');
    await exited;
  }
}
