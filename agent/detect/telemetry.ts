// Per-card telemetry from the vendor tools that detected the cards: one bounded call per tool per
// interval (own process group, timeout), run fresh each interval. A tool still running from an
// earlier interval is not started again, and a hung one costs only its own vendor's cards: the
// sample goes out without them, and the errors say why.
import type { AcceleratorSample } from '../../protocol/messages.ts';
import type { VendorId } from '../../protocol/vendors.ts';
import type { AcceleratorReadings } from '../hardware.ts';
import { amdTelemetry } from './amd.ts';
import { cambriconTelemetry } from './cambricon.ts';
import { enflameTelemetry } from './enflame.ts';
import { createToolRunner, type RunnerOptions, type ToolResult, type ToolRunner } from './exec.ts';
import { huaweiTelemetry } from './huawei.ts';
import { hygonTelemetry } from './hygon.ts';
import { iluvatarTelemetry } from './iluvatar.ts';
import { intelTelemetry } from './intel.ts';
import { kunlunxinTelemetry } from './kunlunxin.ts';
import { metaxTelemetry } from './metax.ts';
import { mthreadsTelemetry } from './mthreads.ts';
import { nvidiaTelemetry } from './nvidia.ts';
import { normalizeBusId } from './pci.ts';
import type { CardReading, TelemetryCall, VendorTelemetry } from './readings.ts';

/** One per vendor that has a detector (Biren has none yet). */
export const TELEMETRY: Readonly<Partial<Record<VendorId, VendorTelemetry>>> = {
  nvidia: nvidiaTelemetry,
  amd: amdTelemetry,
  intel: intelTelemetry,
  huawei: huaweiTelemetry,
  cambricon: cambriconTelemetry,
  hygon: hygonTelemetry,
  kunlunxin: kunlunxinTelemetry,
  iluvatar: iluvatarTelemetry,
  metax: metaxTelemetry,
  mthreads: mthreadsTelemetry,
  enflame: enflameTelemetry,
};

export const DEFAULT_TELEMETRY_TIMEOUT_MS = 2000;

/** A detected card as telemetry needs it: the agent's index, and how its tool names it. */
export interface TrackedCard {
  index: number;
  vendor: VendorId;
  /** Accelerator.detectedBy: the tool, or "pci" for a card no tool listed (no readings then). */
  tool: string;
  /** The tool's own index; absent for PCI-only cards. */
  vendorIndex?: number;
  /** Normalised "0000:83:00.0", or "". */
  pciBusId: string;
}

export interface CardTelemetryOptions {
  env: NodeJS.ProcessEnv;
  /** Per tool call; keep it well under the telemetry interval. */
  timeoutMs: number;
  /** How each interval's runner is made; tests pass one that never finishes. Default: exec.ts's. */
  runner?: (opts: RunnerOptions) => ToolRunner;
}

interface Plan {
  call: TelemetryCall;
  /** Every vendor whose cards this call reads (rocm-smi serves AMD and Hygon). */
  groups: { vendor: VendorId; cards: TrackedCard[]; parse: TelemetryCall['parse'] }[];
}

export class CardTelemetry {
  /** Calls not yet finished, by invocation: never started twice at once. */
  private readonly running = new Map<string, { since: number; done: Promise<ToolResult> }>();

  constructor(private readonly opts: CardTelemetryOptions) {}

  async sample(cards: readonly TrackedCard[]): Promise<AcceleratorReadings> {
    const plans = planCalls(cards);
    if (plans.size === 0) return { accelerators: [], errors: [] };
    // A fresh runner per interval: it shares one process between vendors asking the same
    // invocation (AMD and Hygon), and never serves an earlier interval's output.
    const run = (this.opts.runner ?? createToolRunner)({ env: this.opts.env, timeoutMs: this.opts.timeoutMs, maxOutputBytes: 1024 * 1024 });
    const results = await Promise.all(
      [...plans].map(async ([key, plan]) => {
        const outcome = await this.bounded(key, plan.call, () => run(plan.call.tool, plan.call.args));
        if (!outcome.ok) return { accelerators: [], errors: [outcome.message] };
        const accelerators: AcceleratorSample[] = [];
        const errors: string[] = [];
        for (const g of plan.groups) {
          const parsed = g.parse(outcome.stdout);
          if (!parsed.ok) errors.push(parsed.error);
          else accelerators.push(...matchReadings(g.cards, parsed.cards));
        }
        return { accelerators, errors };
      }),
    );
    return {
      accelerators: results.flatMap((r) => r.accelerators).sort((a, b) => a.index - b.index),
      errors: [...new Set(results.flatMap((r) => r.errors))],
    };
  }

  /**
   * The call, bounded by the timeout plus a grace (a process stuck in the kernel may outlive even
   * SIGKILL). A call of the same invocation already running is joined, not started again (a
   * benchmark's power readings and the telemetry interval meet); one running past its timeout
   * makes this interval's cards missing until it ends.
   */
  private async bounded(key: string, call: TelemetryCall, start: () => Promise<ToolResult>): Promise<ToolResult> {
    const limitMs = this.opts.timeoutMs + 1000;
    const seconds = formatSeconds(this.opts.timeoutMs);
    let entry = this.running.get(key);
    if (entry && Date.now() - entry.since >= limitMs) {
      const forS = formatSeconds(Date.now() - entry.since);
      return { ok: false, missing: false, stdout: '', message: `${call.tool} is still running after ${forS} s (timeout ${seconds} s); is the driver loaded, or is a device hung? Its cards are left out until it ends` };
    }
    if (!entry) {
      const started = { since: Date.now(), done: start() };
      this.running.set(key, started);
      void started.done.finally(() => {
        if (this.running.get(key) === started) this.running.delete(key);
      });
      entry = started;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ToolResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, missing: false, stdout: '', message: `${call.tool} timed out after ${seconds} s and has not exited; is the driver loaded, or is a device hung?` }),
        Math.max(0, entry.since + limitMs - Date.now()),
      );
    });
    try {
      return await Promise.race([entry.done, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** One call per distinct invocation; the cards no tool listed are left out (detection warned about them). */
function planCalls(cards: readonly TrackedCard[]): Map<string, Plan> {
  const byDetector = new Map<string, TrackedCard[]>();
  for (const c of cards) {
    if (c.vendorIndex === undefined || c.tool === 'pci') continue;
    const k = `${c.vendor}\u0000${c.tool}`;
    byDetector.set(k, [...(byDetector.get(k) ?? []), c]);
  }
  const plans = new Map<string, Plan>();
  for (const group of byDetector.values()) {
    const { vendor, tool } = group[0]!;
    const call = TELEMETRY[vendor]?.call({ tool, vendorIndexes: group.map((c) => c.vendorIndex!) });
    if (!call) continue;
    const key = [call.tool, ...call.args].join('\u0000');
    const plan = plans.get(key) ?? { call, groups: [] };
    plan.groups.push({ vendor, cards: group, parse: call.parse });
    plans.set(key, plan);
  }
  return plans;
}

/** Readings to the agent's cards: by bus id where the tool prints one, else by the tool's index. */
export function matchReadings(cards: readonly TrackedCard[], readings: readonly CardReading[]): AcceleratorSample[] {
  const byBus = new Map(cards.filter((c) => c.pciBusId).map((c) => [c.pciBusId, c] as const));
  const byIndex = new Map(cards.map((c) => [c.vendorIndex, c] as const));
  const out: AcceleratorSample[] = [];
  const seen = new Set<number>();
  for (const r of readings) {
    const bus = normalizeBusId(r.busId);
    const card = (bus ? byBus.get(bus) : undefined) ?? (bus && byBus.size ? undefined : byIndex.get(r.vendorIndex));
    if (!card || seen.has(card.index)) continue;
    seen.add(card.index);
    const { vendorIndex: _v, busId: _b, ...values } = r;
    out.push({ index: card.index, ...values });
  }
  return out;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}
