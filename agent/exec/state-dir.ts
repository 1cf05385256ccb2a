// The supervisor's memory across agent restarts: one JSON file per workload, replaced atomically
// (temp file, fsync, rename, fsync of the directory) so a crash leaves the old or the new
// version, never a torn one.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWorkloadRecord, type WorkloadRecord } from './decode.ts';
import { byCodePoint } from '../order.ts';

export function writeFileAtomic(path: string, data: string | Uint8Array, dir: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface LoadedState {
  records: WorkloadRecord[];
  /** One line per file that could not be used; the file is renamed *.corrupt for a human. */
  problems: string[];
}

export class StateDir {
  private readonly workloads: string;
  private readonly logs: string;

  constructor(readonly dir: string) {
    this.workloads = join(dir, 'workloads');
    this.logs = join(dir, 'logs');
    mkdirSync(this.workloads, { recursive: true });
    mkdirSync(this.logs, { recursive: true });
  }

  private file(workloadId: string): string {
    return join(this.workloads, `${encodeURIComponent(workloadId)}.json`);
  }

  logPath(workloadId: string): string {
    return join(this.logs, `${encodeURIComponent(workloadId)}.log`);
  }

  save(record: WorkloadRecord): void {
    writeFileAtomic(this.file(record.workloadId), JSON.stringify(record), this.workloads);
  }

  remove(workloadId: string): void {
    rmSync(this.file(workloadId), { force: true });
    rmSync(this.logPath(workloadId), { force: true });
  }

  load(): LoadedState {
    const records: WorkloadRecord[] = [];
    const problems: string[] = [];
    for (const name of readdirSync(this.workloads)) {
      const path = join(this.workloads, name);
      if (name.endsWith('.tmp')) {
        rmSync(path, { force: true }); // an atomic write that a crash interrupted
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        problems.push(this.quarantine(path, `not JSON: ${(e as Error).message}`));
        continue;
      }
      const decoded = decodeWorkloadRecord(raw);
      if (decoded.ok) records.push(decoded.value);
      else problems.push(this.quarantine(path, decoded.error));
    }
    records.sort((a, b) => byCodePoint(a.workloadId, b.workloadId));
    return { records, problems };
  }

  private quarantine(path: string, why: string): string {
    renameSync(path, `${path}.corrupt`);
    return `${path}: ${why}; moved aside to ${path}.corrupt, re-send the workload from the orchestrator`;
  }
}
