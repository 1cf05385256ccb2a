import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { addMember, loadMembers, memberOf, parseMembers } from '../../../orchestrator/federation/members.ts';
import { federationCommand } from '../../../orchestrator/cli/federation.ts';
import { federationOptions } from '../../../orchestrator/federation/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'banyan-fed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('issues a member token, keeps only its digest (mode 0600), and knows the city by it', () => {
  const file = join(dir, 'members');
  const { token } = addMember(file, 'xiamen');
  expect(readFileSync(file, 'utf8')).not.toContain(token);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const members = loadMembers(file);
  expect(memberOf(`Bearer ${token}`, members)).toBe('xiamen');
  expect(memberOf('Bearer wrong', members)).toBeNull();
  expect(memberOf(undefined, members)).toBeNull();
  expect(() => addMember(file, 'xiamen')).toThrow(/already has a member "xiamen"/);
});

it('names the line of a bad members file', () => {
  expect(() => parseMembers('fuzhou tok\nFuzhou x', 'm')).toThrow(/m line 2: expected "CITY sha256:HEX"/);
  expect(() => parseMembers('a t1\na t2', 'm')).toThrow(/city "a" appears twice/);
  expect(() => parseMembers('a sha256:12', 'm')).toThrow(/m line 1: sha256: must be followed by 64 hex digits/);
  expect(() => loadMembers(join(dir, 'absent'))).toThrow(/banyan federation member add CITY --file/);
});

it('`banyan federation member add` prints the token once; the serve flags say what is missing', async () => {
  const out: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
  expect(await federationCommand(['member', 'add', 'putian', '--file', join(dir, 'm2'), '--json'], {}, io)).toBe(0);
  const { token } = JSON.parse(out[0]!) as { token: string };
  expect(memberOf(`Bearer ${token}`, loadMembers(join(dir, 'm2')))).toBe('putian');
  expect(await federationCommand(['member', 'add'], {}, io)).toBe(2);
  expect(federationOptions({}, {}, [])).toBeNull();
  expect(federationOptions({ upstream: 'http://p:8080' }, {}, [])).toMatch(/needs --upstream-token/);
  expect(federationOptions({ upstream: 'p:8080', 'upstream-token': 't', city: 'a' }, {}, [])).toMatch(/must be an http/);
  expect(federationOptions({}, { BANYAN_UPSTREAM_URL: 'http://p', BANYAN_UPSTREAM_TOKEN: 't', BANYAN_CITY: 'a' }, [])).toBeTypeOf('function');
  expect(federationOptions({ 'federation-members': join(dir, 'absent') }, {}, [])).toMatch(/cannot read federation members file/);
});
