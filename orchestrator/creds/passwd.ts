// Mosquitto-compatible password hashes and password files, so `banyan creds` writes a file that
// Mosquitto reads as it is and the embedded broker checks the same file the same way.
import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Mosquitto 2's default PBKDF2 rounds; raised rounds still verify on Mosquitto. */
const DEFAULT_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export class PasswordFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

/** A new random secret, URL- and shell-safe, 256 bits. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** `$7$<iterations>$<salt b64>$<hash b64>`: PBKDF2-HMAC-SHA512, what mosquitto_passwd writes. */
export function hashPassword(password: string, iterations = DEFAULT_ITERATIONS, salt: Buffer = randomBytes(SALT_BYTES)): string {
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a `$7$` (Mosquitto 2) or `$6$` (Mosquitto 1.x) hash in constant time. */
export function verifyPassword(password: string, stored: string): boolean {
  const parts = stored.split('$');
  let expected: Buffer;
  let actual: Buffer;
  if (parts[1] === '7' && parts.length === 5) {
    const iterations = Number(parts[2]);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
    expected = Buffer.from(parts[4]!, 'base64');
    actual = pbkdf2Sync(password, Buffer.from(parts[3]!, 'base64'), iterations, expected.length || HASH_BYTES, 'sha512');
  } else if (parts[1] === '6' && parts.length === 4) {
    expected = Buffer.from(parts[3]!, 'base64');
    actual = createHash('sha512').update(password).update(Buffer.from(parts[2]!, 'base64')).digest();
  } else {
    return false;
  }
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** username → hash, in file order. */
export type PasswordTable = Map<string, string>;

export function parsePasswordFile(text: string, source = 'password file'): PasswordTable {
  const table: PasswordTable = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new PasswordFileError(`${source} line ${i + 1}: expected "username:hash"; regenerate it with banyan creds add`);
    table.set(line.slice(0, colon), line.slice(colon + 1));
  });
  return table;
}

export function formatPasswordFile(table: PasswordTable): string {
  return [...table].map(([user, hash]) => `${user}:${hash}\n`).join('');
}
