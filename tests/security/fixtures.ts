// Test fixtures for the security tests: a throwaway CA and certificates made with the openssl
// CLI, and a private Mosquitto on a free loopback port (never the machine's shared one on 1883).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait.ts';

export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
export function makeTestPki(dir: string): TestPki {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=banyan-test-ca', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  const leaf = (name: string, cn: string, ext: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    execFileSync('sh', ['-c', `printf '%s\\n' "${ext}" > ${name}.ext`], { cwd: dir });
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`));
    chmodSync(f(`${name}.key`), 0o600);
  };
  leaf('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  leaf('client', 'node-a', 'extendedKeyUsage=clientAuth');
  return { caCert: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface PrivateMosquitto {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `mosquitto -c conf`; as root, Mosquitto would switch to its own user and lose our 0600 files. */
export async function startMosquitto(conf: string, port: number): Promise<PrivateMosquitto> {
  if (process.getuid?.() === 0) appendFileSync(conf, 'user root\n');
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor(`mosquitto listening on ${port}`, async () => {
    if (exited) throw new Error(`mosquitto exited: ${stderr}`);
    return new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  });
  return {
    port,
    process: child,
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
