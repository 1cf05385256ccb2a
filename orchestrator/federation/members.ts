// Who may speak federation to this orchestrator: member cities, each with a token scoped to the
// federation routes. The file holds one member a line, `CITY sha256:HEX` (what `banyan federation
// member add` writes) or `CITY TOKEN`; `#` starts a comment. Tokens are kept as SHA-256 digests
// and compared in constant time, as the API's own tokens are (api/auth.ts).
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { digestOf, matchBearer, sha256, TokenConfigError } from '../api/auth.ts';

export interface Member {
  city: string;
  sha256: Buffer;
}

const CITY = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A members file that cannot be used, saying what to fix. */
export class MembersConfigError extends TokenConfigError {
  override name = 'MembersConfigError';
}

export function parseMembers(text: string, source: string): Member[] {
  const out: Member[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [city, secret, extra] = line.split(/\s+/);
    const where = `${source} line ${i + 1}`;
    if (!city || !secret || extra !== undefined || !CITY.test(city)) throw new MembersConfigError(`${where}: expected "CITY sha256:HEX" with CITY of lower-case letters, digits and dashes`);
    if (out.some((m) => m.city === city)) throw new MembersConfigError(`${where}: city "${city}" appears twice`);
    out.push({ city, sha256: digestOf(secret, where) });
  });
  return out;
}

export function loadMembers(file: string): Member[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MembersConfigError(`cannot read federation members file ${file} (${(e as NodeJS.ErrnoException).code}); create it with banyan federation member add CITY --file ${file}`);
  }
  return parseMembers(text, file);
}

/** A new member token; the file keeps only its digest. */
export function addMember(file: string | null, city: string): { token: string; line: string } {
  if (!CITY.test(city)) throw new MembersConfigError(`city "${city}" must be lower-case letters, digits and dashes (≤63)`);
  const token = `bnyf_${randomBytes(32).toString('base64url')}`;
  const line = `${city} sha256:${sha256(token).toString('hex')}`;
  if (file) {
    let existing: Member[] = [];
    try {
      existing = parseMembers(readFileSync(file, 'utf8'), file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (existing.some((m) => m.city === city)) throw new MembersConfigError(`${file} already has a member "${city}"; remove its line first to rotate its token`);
    appendFileSync(file, line + '\n', { mode: 0o600 });
  }
  return { token, line };
}

/** The member whose token the Authorization header carries, compared against every member. */
export function memberOf(header: string | undefined, members: readonly Member[]): string | null {
  return matchBearer(header, members)?.city ?? null;
}
