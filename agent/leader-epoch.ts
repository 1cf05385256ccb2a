// The highest orchestrator leader epoch this node has seen, kept in its state dir so a restart
// still refuses a deposed leader (protocol/fencing.ts holds the rule).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEpoch, UNFENCED_EPOCH, type FenceVerdict } from '../protocol/fencing.ts';
import { writeFileAtomic } from './exec/state-dir.ts';

export class LeaderEpoch {
  private readonly path: string;
  private highestSeen: number;

  constructor(private readonly dir: string, warn: (m: string) => void = () => undefined) {
    this.path = join(dir, 'leader-epoch');
    this.highestSeen = UNFENCED_EPOCH;
    if (!existsSync(this.path)) return;
    const n = Number(readFileSync(this.path, 'utf8').trim());
    if (Number.isSafeInteger(n) && n >= 0) this.highestSeen = n;
    else warn(`${this.path} does not hold an epoch number; starting from ${UNFENCED_EPOCH}`);
  }

  get highest(): number {
    return this.highestSeen;
  }

  /** Checks a command's epoch and, when it is newer, records it durably before the command runs. */
  admit(epoch: number | undefined): FenceVerdict {
    const v = checkEpoch(this.highestSeen, epoch);
    if (v.ok && v.highest > this.highestSeen) {
      mkdirSync(this.dir, { recursive: true });
      writeFileAtomic(this.path, String(v.highest), this.dir);
      this.highestSeen = v.highest;
    }
    return v;
  }
}
