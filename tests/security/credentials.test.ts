// Password hashes interoperate with mosquitto_passwd both ways; secret files others can read stop
// a client from starting; the CLI writes 0600 secrets and hashed API tokens.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordFile, verifyPassword } from '../../orchestrator/creds/passwd.ts';
import { filterCovers, mayPublish, banyanAclPolicy, renderMosquittoAcl } from '../../orchestrator/creds/acl.ts';
import { MqttSecurityError, mqttSecurityOptions } from '../../protocol/mqtt-tls.ts';
import { loadApiTokens } from '../../orchestrator/api/auth.ts';
import { main } from '../../cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'banyan-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Mosquitto password hashes', () => {
  it('verifies what mosquitto_passwd writes, and rejects a wrong password', () => {
    const file = join(dir, 'mosq-passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', file, 'node-a', 's3cret pass']);
    const hash = parsePasswordFile(readFileSync(file, 'utf8')).get('node-a')!;
    expect(hash.startsWith('$7$')).toBe(true);
    expect(verifyPassword('s3cret pass', hash)).toBe(true);
    expect(verifyPassword('s3cret pasS', hash)).toBe(false);
  });

  it('verifies Mosquitto 1.x $6$ hashes and refuses malformed ones', () => {
    const salt = Buffer.from('0123456789ab');
    const digest = execFileSync('sh', ['-c', `printf 'pw0123456789ab' | openssl dgst -sha512 -binary | base64 -w0`]).toString();
    expect(verifyPassword('pw', `$6$${salt.toString('base64')}$${digest}`)).toBe(true);
    expect(verifyPassword('pw', '$7$notanumber$aa$bb')).toBe(false);
    expect(verifyPassword('pw', 'plaintext')).toBe(false);
  });

  it('round-trips its own hashes and salts each one', () => {
    const a = hashPassword('x');
    expect(a).not.toBe(hashPassword('x'));
    expect(verifyPassword('x', a)).toBe(true);
  });
});

describe('MQTT topic policy', () => {
  it('matches filters level by level', () => {
    expect(filterCovers('a/+/c', 'a/b/c')).toBe(true);
    expect(filterCovers('a/+/c', 'a/+/c')).toBe(true);
    expect(filterCovers('a/b/c', 'a/+/c')).toBe(false);
    expect(filterCovers('a/#', 'a')).toBe(true);
    expect(filterCovers('a/+', 'a/#')).toBe(false);
    expect(filterCovers('a/+', 'a/b/c')).toBe(false);
  });

  it('grants nothing to a username that would widen %u', () => {
    const p = banyanAclPolicy('banyan/v1');
    expect(mayPublish(p, '+', 'banyan/v1/s/+/telemetry')).toBe(false);
    expect(mayPublish(p, 'node-a', 'banyan/v1/s/node-a/telemetry')).toBe(true);
    expect(mayPublish(p, 'node-a', 'banyan/v1/s/node-a/cmd')).toBe(false);
  });

  it("allows a node exactly its own RTT probe topic, and renders it for Mosquitto", () => {
    const p = banyanAclPolicy('banyan/v1');
    expect(mayPublish(p, 'node-a', 'banyan/v1/_rtt/node-a')).toBe(true);
    expect(mayPublish(p, 'node-a', 'banyan/v1/_rtt/node-b')).toBe(false);
    expect(mayPublish(p, 'node-a', 'banyan/v1/_rtt/node-a/x')).toBe(false);
    expect(mayPublish(p, 'node-a', 'banyan/v1/_rtt')).toBe(false);
    expect(renderMosquittoAcl(p)).toContain('pattern write banyan/v1/_rtt/%u\n');
  });
});

describe('mqttSecurityOptions', () => {
  const secret = (name: string, mode: number) => {
    const f = join(dir, name);
    writeFileSync(f, 'pw-on-first-line\nignored\n');
    chmodSync(f, mode);
    return f;
  };

  it('reads a private password file and keeps TLS verification on', () => {
    const o = mqttSecurityOptions({ brokerUrl: 'mqtts://broker.example:8883', username: 'n1', passwordFile: secret('ok', 0o600) });
    expect(o).toEqual({ username: 'n1', password: 'pw-on-first-line', rejectUnauthorized: true });
  });

  it.each([0o644, 0o604, 0o660])('refuses a password file with mode %o and says how to fix it', (mode) => {
    const f = secret(`open-${mode}`, mode);
    expect(() => mqttSecurityOptions({ brokerUrl: 'mqtts://b:8883', passwordFile: f })).toThrow(`chmod 600 ${f}`);
  });

  it('refuses a world-readable client key', () => {
    const key = secret('key.pem', 0o644);
    expect(() => mqttSecurityOptions({ brokerUrl: 'mqtts://b:8883', certFile: key, keyFile: key })).toThrow(MqttSecurityError);
  });

  it('refuses a password in clear to another host and TLS files on a plaintext URL', () => {
    expect(() => mqttSecurityOptions({ brokerUrl: 'mqtt://10.1.2.3:1883', password: 'x' })).toThrow(/in clear/);
    expect(() => mqttSecurityOptions({ brokerUrl: 'mqtt://b:1883', caFile: '/etc/ssl/ca.pem' })).toThrow(/mqtts:\/\/b:1883/);
    expect(mqttSecurityOptions({ brokerUrl: 'mqtt://127.0.0.1:1883', password: 'x' }).password).toBe('x');
  });
});

describe('banyan creds', () => {
  it('adds a node with a 0600 secret, refuses a duplicate, and issues hashed API tokens', async () => {
    const broker = join(dir, 'broker');
    const out: string[] = [];
    const log = console.log;
    const err = console.error;
    console.log = (s: string) => out.push(s);
    console.error = (s: string) => out.push(s);
    try {
      expect(await main(['creds', 'init', '--dir', broker, '--json'])).toBe(0);
      expect(await main(['creds', 'add', 'fz-n1', '--dir', broker, '--json'])).toBe(0);
      expect(await main(['creds', 'add', 'fz-n1', '--dir', broker])).toBe(1);
      expect(await main(['creds', 'add', 'banyan-orchestrator', '--dir', broker])).toBe(1);
      expect(await main(['creds', 'token', 'ops', '--role', 'operator', '--file', join(dir, 'tokens'), '--json'])).toBe(0);
    } finally {
      console.log = log;
      console.error = err;
    }
    const added = JSON.parse(out.find((l) => l.includes('"username":"fz-n1"'))!) as { secretFile: string };
    expect(statSync(added.secretFile).mode & 0o777).toBe(0o600);
    const pw = readFileSync(added.secretFile, 'utf8').trim();
    expect(verifyPassword(pw, parsePasswordFile(readFileSync(join(broker, 'passwd'), 'utf8')).get('fz-n1')!)).toBe(true);
    expect(out.join('\n')).not.toContain(pw);
    const issued = JSON.parse(out.at(-1)!) as { token: string };
    const stored = readFileSync(join(dir, 'tokens'), 'utf8');
    expect(stored).not.toContain(issued.token);
    expect(statSync(join(dir, 'tokens')).mode & 0o777).toBe(0o600);
    expect(loadApiTokens({ file: join(dir, 'tokens') }).map((t) => [t.name, t.role])).toEqual([['ops', 'operator']]);
    expect(readFileSync(join(broker, 'acl'), 'utf8')).toContain('pattern write banyan/v1/+/%u/telemetry');
  });
});
