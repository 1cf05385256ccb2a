// deploy/install-agent.sh end to end into a scratch root (--prefix): what it installs, that a
// second run changes nothing, that --uninstall leaves nothing, and that it fails clearly.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentConfigSchema, loadAgentConfig } from '../../agent/config.ts';

const SCRIPT = join(import.meta.dirname, '../../deploy/install-agent.sh');
const work = mkdtempSync(join(tmpdir(), 'banyan-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function install(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Every path under root with its mode and content hash, to compare runs. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const mode = (statSync(p).mode & 0o7777).toString(8);
      if (e.isDirectory()) {
        out[relative(root, p) + '/'] = mode;
        walk(p);
      } else out[relative(root, p)] = `${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`;
    }
  };
  walk(root);
  return out;
}

const unitText = (root: string) => readFileSync(join(root, 'etc/systemd/system/banyan-agent.service'), 'utf8');

describe('install-agent.sh --prefix', () => {
  const root = join(work, 'root');
  const args = ['--prefix', root, '--no-deps', '--node-id', 'fz-mawei-n1', '--site', 'fz-mawei-plant-3', '--broker', 'mqtts://broker.example:8883'];

  it('installs config, state dir, app and unit with the right modes', () => {
    const r = install(args);
    expect(r.code, r.out).toBe(0);
    expect(statSync(join(root, 'etc/banyan/agent.yaml')).mode & 0o777).toBe(0o640);
    expect(statSync(join(root, 'etc/banyan/secrets')).mode & 0o777).toBe(0o750);
    expect(statSync(join(root, 'var/lib/banyan/agent')).mode & 0o777).toBe(0o750);
    expect(statSync(join(root, 'etc/systemd/system/banyan-agent.service')).mode & 0o777).toBe(0o644);
    expect(statSync(join(root, 'opt/banyan/bin/banyan.js')).isFile()).toBe(true);
    expect(statSync(join(root, 'opt/banyan/agent/config.ts')).isFile()).toBe(true);
    // The unit names runtime paths, not the scratch root (packagers install from it as DESTDIR).
    expect(unitText(root)).toContain('ExecStart=/bin/sh /opt/banyan/dist/banyan-agent agent --config /etc/banyan/agent.yaml');
    expect(unitText(root)).toMatch(/^Environment=BANYAN_NODE=\/\S*node$/m);
    expect(statSync(join(root, 'opt/banyan/dist/banyan-agent')).mode & 0o777).toBe(0o755);
    expect(unitText(root)).not.toContain(root);
  });

  it('writes a config the agent accepts, filled from the flags (the template is in sync with agent/config.ts)', () => {
    const cfg = loadAgentConfig({ file: join(root, 'etc/banyan/agent.yaml'), env: {} });
    expect(cfg).toMatchObject({ nodeId: 'fz-mawei-n1', site: 'fz-mawei-plant-3', brokerUrl: 'mqtts://broker.example:8883', username: 'fz-mawei-n1', stateDir: '/var/lib/banyan/agent' });
  });

  it('mentions every setting agent/config.ts knows, so site engineers see them all', () => {
    const template = readFileSync(join(import.meta.dirname, '../../deploy/agent.yaml.template'), 'utf8');
    const missing = Object.keys(AgentConfigSchema.properties).filter((k) => !new RegExp(`^#? ?${k}:`, 'm').test(template));
    expect(missing).toEqual([]);
  });

  it('is idempotent and keeps a config the site engineer edited', () => {
    const conf = join(root, 'etc/banyan/agent.yaml');
    appendFileSync(conf, '# edited on site\n');
    const before = snapshot(root);
    const r = install(args);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('kept existing /etc/banyan/agent.yaml');
    expect(snapshot(root)).toEqual(before);
  });

  it('--uninstall leaves nothing behind', () => {
    const r = install(['--prefix', root, '--uninstall']);
    expect(r.code, r.out).toBe(0);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('install-agent.sh checks and previews', () => {
  it('--dry-run shows the user, groups, unit and systemctl steps and changes nothing', () => {
    const r = install(['--dry-run', '--no-deps', '--node-id', 'n1']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/would: useradd --system .* banyan/);
    expect(r.out).toMatch(/would: systemctl enable --now banyan-agent.service/);
    expect(r.out).toContain('would: write /etc/systemd/system/banyan-agent.service');
    const scratch = join(work, 'dry');
    expect(install(['--dry-run', '--prefix', scratch]).code).toBe(0);
    expect(() => readdirSync(scratch)).toThrow();
  });

  it('refuses without root, saying what to do', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', SCRIPT, '--no-deps'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/must run as root: sudo .* \(or --prefix DIR/);
  });

  it('refuses Node.js older than 20, naming the version found', () => {
    const bin = join(work, 'old-node');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'node'), '#!/bin/sh\ncase "$1" in -p) echo 18;; -v) echo v18.19.0;; esac\n');
    chmodSync(join(bin, 'node'), 0o755);
    const r = install(['--prefix', join(work, 'old'), '--no-deps'], { ...process.env, PATH: `${bin}:/usr/bin:/bin` });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Node.js 20 or newer is required');
    expect(r.out).toContain('v18.19.0');
  });

  it('refuses a node id that is not a topic segment', () => {
    const r = install(['--prefix', join(work, 'bad'), '--node-id', 'a/b']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('must be 1-64 of [A-Za-z0-9._-]');
  });
});

describe('agent systemd unit', () => {
  const root = join(work, 'unit');

  it('passes systemd-analyze verify, and verify does catch a bad key', () => {
    expect(install(['--prefix', root, '--no-deps']).code).toBe(0);
    const unit = join(root, 'etc/systemd/system/banyan-agent.service');
    const ok = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stderr.split('\n').filter((l) => l.includes('banyan-agent.service'))).toEqual([]);
    const bad = join(work, 'banyan-agent.service');
    writeFileSync(bad, unitText(root).replace('[Service]\n', '[Service]\nDeviceAlow=char-drm rw\n'));
    expect(spawnSync('systemd-analyze', ['verify', bad], { encoding: 'utf8' }).stderr).toContain("Unknown key 'DeviceAlow'");
  });

  it('reaches every accelerator family through DeviceAllow, without PrivateDevices', () => {
    const text = unitText(root);
    expect(text).not.toMatch(/^PrivateDevices=yes/m);
    expect(text).toMatch(/^DevicePolicy=closed$/m);
    const allowed = [...text.matchAll(/^DeviceAllow=(\S+) rw$/gm)].map((m) => m[1]!);
    const glob = (g: string) => new RegExp('^' + g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    const reaches = (procName: string) => allowed.some((a) => glob(a).test(`char-${procName}`));
    // Names as the drivers register them in /proc/devices.
    for (const name of ['nvidia-frontend', 'nvidia-uvm', 'nvidia-caps', 'drm', 'kfd', 'davinci-manager', 'devdrv-cdev', 'cambricon_dev', 'mtgpu', 'iluvatar', 'mxcd', 'xpu', 'gcu']) {
      expect(reaches(name), name).toBe(true);
    }
    expect(reaches('kvm')).toBe(false);
  });

  it('has a moderate exposure score in systemd-analyze security', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', join(root, 'etc/systemd/system/banyan-agent.service')], { encoding: 'utf8' });
    const score = Number(/exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(4);
  });
});
