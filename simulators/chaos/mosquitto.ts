// A private Mosquitto for big simulated fleets and broker-restart faults: its own config, port
// and temp dir, never the machine's shared broker on 1883.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from '../brokers/ports.ts';

export { freePort };

export class PrivateMosquitto {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(port?: number): Promise<PrivateMosquitto> {
    const p = port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'banyan-mosquitto-'));
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, [`listener ${p} 127.0.0.1`, 'allow_anonymous true', 'max_connections -1', 'persistence false', 'log_type error', 'max_queued_messages 100000', ''].join('\n'));
    const m = new PrivateMosquitto(p, dir);
    await m.spawn();
    return m;
  }

  private async spawn(): Promise<void> {
    const proc = spawn('mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()).slice(-2000));
    const failed = new Promise<never>((_, reject) =>
      proc.once('error', (e) => reject(new Error(`cannot start mosquitto (${e.message}); install it (apt-get install mosquitto)`))),
    );
    this.proc = proc;
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}) on port ${this.port}: ${stderr.trim()}`);
      if (await Promise.race([canConnect(this.port), failed])) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on ${this.port} within 5 s: ${stderr.trim()}`);
  }

  /** Stops it (every client drops; nothing persisted), waits downMs, starts it on the same port. */
  async restart(downMs: number): Promise<void> {
    await this.kill();
    await new Promise((r) => setTimeout(r, downMs));
    await this.spawn();
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private async kill(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
