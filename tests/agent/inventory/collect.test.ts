// The inventory child as the agent runs it: the real one on this machine (from source, through
// tsx), a hung one killed with its process group at the timeout, and garbage decoded into a
// reason that says what to do.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeInventory } from '../../../agent/inventory/decode.ts';
import { collectInventory } from '../../../agent/inventory/index.ts';
import { toInventory, type SiAnswers } from '../../../agent/inventory/map.ts';
import { tempDir } from '../harness.ts';
import { waitFor } from '../../helpers/wait.ts';

const captured = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/inventory/si-docker-epyc.json'), 'utf8')) as SiAnswers;
const good = toInventory(captured, 0, 'systeminformation@5.33.31', 1);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('decodeInventory', () => {
  it('accepts what the child prints and drops fields the wire does not have', () => {
    const d = decodeInventory(JSON.stringify({ ...good, extra: 'x' }) + '\n');
    expect(d).toEqual({ ok: true, inventory: good });
  });

  it('says what is wrong with garbage, half-shaped and mistyped output', () => {
    expect(decodeInventory('')).toEqual({ ok: false, error: 'printed no JSON (nothing)' });
    expect(decodeInventory('Segmentation fault\n')).toEqual({ ok: false, error: 'printed no JSON ("Segmentation fault")' });
    expect(decodeInventory('[1,2]')).toMatchObject({ ok: false, error: expect.stringMatching(/^printed JSON that is not a host inventory \(\/: Expected object/) });
    const { kernel: _k, ...noKernel } = good;
    expect(decodeInventory(JSON.stringify(noKernel))).toEqual({ ok: false, error: 'printed JSON that is not a host inventory (/kernel: Expected required property)' });
    expect(decodeInventory(JSON.stringify({ ...good, cpuThreads: -2 }))).toMatchObject({ ok: false, error: expect.stringContaining('/cpuThreads: Expected integer to be greater or equal to 0') });
    expect(decodeInventory(JSON.stringify({ ...good, nics: [{ name: 'eth0' }] }))).toMatchObject({ ok: false, error: expect.stringContaining('/nics/0/mac') });
  });
});

describe('collectInventory', () => {
  it('takes the inventory of this machine in a child process', async () => {
    const r = await collectInventory({ timeoutMs: 60_000 });
    if (!r.ok) throw new Error(r.error);
    const inv = r.inventory;
    expect(inv.source).toMatch(/^systeminformation@5\.\d+\.\d+$/);
    expect(inv.cpuThreads).toBeGreaterThan(0);
    expect(inv.cpuPhysicalCores).toBeGreaterThan(0);
    expect(inv.memoryMib).toBeGreaterThan(0);
    expect(inv.kernel).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    expect(inv.nics.map((n) => n.name)).not.toContain('lo');
    expect(inv.collectedAtMs).toBeGreaterThan(Date.now() - 120_000);
  }, 90_000);

  it('kills a hung child and everything it started at the timeout, and says what to do', async () => {
    const t = tempDir('banyan-inv-hang-');
    try {
      // The child starts a grandchild, records both pids, and never prints.
      const pids = join(t.dir, 'pids');
      const script = `sleep 300 & echo "$$ $!" > ${pids}; wait`;
      const r = await collectInventory({ timeoutMs: 800, child: { command: 'sh', args: ['-c', script] } });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toBe(
        'host inventory took longer than 0.8 s and was killed with its process group; the agent carries on without it (run `banyan detect --host` to see the error, or set inventoryTimeoutMs: 0 to stop trying)',
      );
      expect(r.wallMs).toBeGreaterThanOrEqual(800);
      expect(r.wallMs).toBeLessThan(20_000);
      expect(existsSync(pids)).toBe(true);
      const [child, grandchild] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
      await waitFor('the hung child and its grandchild gone', () => !alive(child!) && !alive(grandchild!), 5000);
    } finally {
      t.remove();
    }
  }, 30_000);

  it('runs the child at the lowest CPU priority, and kills it when the agent stops', async () => {
    const t = tempDir('banyan-inv-stop-');
    try {
      const pids = join(t.dir, 'pids');
      const stop = new AbortController();
      const pending = collectInventory({ timeoutMs: 60_000, signal: stop.signal, child: { command: 'sh', args: ['-c', `sleep 300 & echo "$$ $!" > ${pids}; wait`] } });
      // The file exists before the shell's echo lands in it: wait for both pids, not for the file.
      const [child, grandchild] = await waitFor('the child started', () => {
        const got = existsSync(pids) ? readFileSync(pids, 'utf8').trim().split(' ').map(Number) : [];
        return got.length === 2 && got.every((pid) => pid > 0) && got;
      });
      // Field 19 of /proc/<pid>/stat, counted after the ")" that ends the command name.
      const nice = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
      expect(nice(child!)).toBe(19);
      stop.abort();
      const r = await pending;
      expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^host inventory was cut short: the agent is stopping; /) });
      expect(r.wallMs).toBeLessThan(30_000);
      await waitFor('the child and its grandchild gone', () => !alive(child!) && !alive(grandchild!), 5000);
    } finally {
      t.remove();
    }
  }, 30_000);

  it('reports a child that fails or prints garbage, with the reason', async () => {
    const crashed = await collectInventory({ child: { command: 'sh', args: ['-c', 'echo "cannot read /sys" >&2; exit 3'] } });
    expect(crashed).toMatchObject({ ok: false, error: expect.stringMatching(/^host inventory child failed: sh exited with code 3: cannot read \/sys; the agent carries on without it/) });
    const garbage = await collectInventory({ child: { command: 'sh', args: ['-c', 'echo "<html>oops</html>"'] } });
    expect(garbage).toMatchObject({ ok: false, error: expect.stringMatching(/^host inventory child printed no JSON \("<html>oops<\/html>"\); the agent carries on/) });
  });
});
