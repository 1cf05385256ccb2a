// Turns an MQTT client's security settings (file paths from config) into mqtt.js connect options,
// refusing what would leak a secret: a key or password file others can read, TLS files on a
// plaintext URL, a password sent in clear to another machine. Shared by agent and orchestrator.
import { readFileSync, statSync } from 'node:fs';

export interface MqttSecuritySettings {
  brokerUrl: string;
  username?: string;
  /** Inline password (env or flag); prefer passwordFile on disk. */
  password?: string;
  /** A file holding the password on its first line, mode 0600 or 0640. */
  passwordFile?: string;
  /** CA bundle (PEM) that signed the broker's certificate; without it the system CAs are used. */
  caFile?: string;
  /** Client certificate and key (PEM) for brokers that require one. */
  certFile?: string;
  keyFile?: string;
  /** Name to check in the broker's certificate when the URL holds an address. */
  tlsServerName?: string;
}

/** The subset of mqtt.js IClientOptions this produces; spread it into mqtt.connect's options. */
export interface MqttSecurityOptions {
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized: true;
}

export class MqttSecurityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MqttSecurityError';
  }
}

const TLS_SCHEMES = new Set(['mqtts:', 'wss:', 'ssl:', 'tls:']);

export function mqttSecurityOptions(s: MqttSecuritySettings): MqttSecurityOptions {
  let url: URL;
  try {
    url = new URL(s.brokerUrl);
  } catch {
    throw new MqttSecurityError(`broker URL "${s.brokerUrl}" is not a URL; write e.g. mqtts://broker.example:8883`);
  }
  const tls = TLS_SCHEMES.has(url.protocol);
  if (s.password !== undefined && s.passwordFile) {
    throw new MqttSecurityError('both password and passwordFile are set; keep only passwordFile');
  }
  if (Boolean(s.certFile) !== Boolean(s.keyFile)) {
    throw new MqttSecurityError('certFile and keyFile go together: set both for a client certificate, or neither');
  }
  if (!tls && (s.caFile || s.certFile)) {
    throw new MqttSecurityError(`TLS files are configured but the broker URL is ${url.protocol}//; use mqtts://${url.host}`);
  }
  const password = s.passwordFile ? readSecret(s.passwordFile, 'passwordFile').toString('utf8').split(/\r?\n/)[0] : s.password;
  if (s.passwordFile && !password) throw new MqttSecurityError(`passwordFile ${s.passwordFile} is empty; write the password on its first line`);
  if (password !== undefined && !tls && !isLoopback(url.hostname)) {
    throw new MqttSecurityError(`a password would cross the network in clear to ${url.host}; use mqtts:// (the broker's TLS listener)`);
  }
  const opts: MqttSecurityOptions = { rejectUnauthorized: true };
  if (s.username !== undefined) opts.username = s.username;
  if (password !== undefined) opts.password = password;
  if (s.caFile) opts.ca = readPublic(s.caFile, 'caFile');
  if (s.certFile) opts.cert = readPublic(s.certFile, 'certFile');
  if (s.keyFile) opts.key = readSecret(s.keyFile, 'keyFile');
  if (s.tlsServerName) opts.servername = s.tlsServerName;
  return opts;
}

/** A secret file must not be readable or writable by others, nor writable by its group. */
export function assertPrivateFile(path: string, what: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (e) {
    throw new MqttSecurityError(`${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code}); check the path in the config`);
  }
  if (mode & 0o027) {
    throw new MqttSecurityError(
      `${what} ${path} has mode ${mode.toString(8).padStart(4, '0')}, open to other users; run: chmod 600 ${path} (0640 with a trusted group also works)`,
    );
  }
}

function readSecret(path: string, what: string): Buffer {
  assertPrivateFile(path, what);
  return readPublic(path, what);
}

function readPublic(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new MqttSecurityError(`${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code}); check the path in the config`);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
