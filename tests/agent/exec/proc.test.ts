import { describe, expect, it } from 'vitest';
import { parseProcStat, readProcStat, isSameProcessAlive } from '../../../agent/exec/proc.ts';

describe('/proc/<pid>/stat', () => {
  it('reads the start time even when the command name has spaces and parentheses', () => {
    const line = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ state: 'S', startTime: '987654' });
  });

  it('knows this process, and a different start time is not the same process', () => {
    const me = readProcStat(process.pid)!;
    expect(me.startTime).toMatch(/^\d+$/);
    expect(isSameProcessAlive(process.pid, me.startTime)).toBe(true);
    expect(isSameProcessAlive(process.pid, String(Number(me.startTime) + 1))).toBe(false);
  });
});
