// The embedded broker's accounts and ACL from the same files a production Mosquitto reads, so a
// single-machine deployment binds node identity to credentials exactly as production does.
import { readFileSync, statSync } from 'node:fs';
import type { BrokerAuth } from '../broker.ts';
import { mayPublish, maySubscribe, type AclPolicy } from './acl.ts';
import { parsePasswordFile, verifyPassword, type PasswordTable } from './passwd.ts';

/** Reads the password file again whenever it changes, so `banyan creds add` needs no restart. */
export function passwordFileAuth(passwordFile: string, policy: AclPolicy): BrokerAuth {
  let table: PasswordTable = new Map();
  let loadedMtimeMs = -1;
  const current = (): PasswordTable => {
    const mtimeMs = statSync(passwordFile).mtimeMs;
    if (mtimeMs !== loadedMtimeMs) {
      table = parsePasswordFile(readFileSync(passwordFile, 'utf8'), passwordFile);
      loadedMtimeMs = mtimeMs;
    }
    return table;
  };
  current();
  return {
    authenticate: (username, password) => {
      const hash = current().get(username);
      return hash !== undefined && verifyPassword(password.toString('utf8'), hash);
    },
    mayPublish: (username, topic) => mayPublish(policy, username, topic),
    maySubscribe: (username, filter) => maySubscribe(policy, username, filter),
  };
}
