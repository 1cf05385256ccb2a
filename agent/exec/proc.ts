// What /proc says about a pid. The start time (field 22 of /proc/<pid>/stat, in clock ticks since
// boot) tells a live workload apart from an unrelated process that was given a recycled pid.
import { readFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';

export interface ProcStat {
  state: string;
  startTime: string;
}

/** Null when the pid does not exist (or /proc is unreadable). */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseProcStat(text);
}

export function parseProcStat(text: string): ProcStat | null {
  // The command name sits in parentheses and may itself contain spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const state = fields[0];
  const startTime = fields[19];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return null;
  return { state, startTime };
}

/** Alive and still the same process: same start time, not a zombie waiting to be reaped. */
export function isSameProcessAlive(pid: number, startTime: string, procRoot = '/proc'): boolean {
  const stat = readProcStat(pid, procRoot);
  return stat !== null && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

export const TAIL_BYTES = 4096;

/** The last `bytes` of a log file, decoded leniently; empty when there is none. */
export function readTail(path: string, bytes = TAIL_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
