// Per-card telemetry parsers on real tool outputs (tests/fixtures/vendors/, sources in its README):
// readings present where the tool prints them, absent (never 0) where it prints N/A or nothing,
// and an error value, never a throw, for garbage and truncated output.
import { describe, expect, it } from 'vitest';
import { parseRocmSmiTelemetryAmd } from '../../../agent/detect/amd.ts';
import { parseCnmonTelemetry } from '../../../agent/detect/cambricon.ts';
import { parseEfsmiTelemetry } from '../../../agent/detect/enflame.ts';
import { parseNpuSmiTelemetry } from '../../../agent/detect/huawei.ts';
import { parseHySmiTelemetry, parseRocmSmiTelemetryHygon } from '../../../agent/detect/hygon.ts';
import { parseIxsmiTelemetry } from '../../../agent/detect/iluvatar.ts';
import { intelDumpArgs, parseXpuSmiDump } from '../../../agent/detect/intel.ts';
import { parseKunlunxinLegacyTelemetry, parseKunlunxinQueryTelemetry } from '../../../agent/detect/kunlunxin.ts';
import { parseMxSmiTelemetry } from '../../../agent/detect/metax.ts';
import { parseMthreadsGmiTelemetry } from '../../../agent/detect/mthreads.ts';
import { NVIDIA_TELEMETRY_ARGS, NVIDIA_TELEMETRY_FIELDS, parseNvidiaTelemetry } from '../../../agent/detect/nvidia.ts';
import type { ReadingsResult } from '../../../agent/detect/readings.ts';
import { csvCells } from '../../../agent/detect/text.ts';
import { matchReadings, type TrackedCard } from '../../../agent/detect/telemetry.ts';
import { fixture } from './fixture.ts';

function cards(r: ReadingsResult) {
  if (!r.ok) throw new Error(`expected readings, got: ${r.error}`);
  return r.cards;
}

/** The H200 capture (≈300 fields, with units) cut down to the telemetry query's columns, in its order. */
function h200TelemetryRows(): string {
  const [head, ...rows] = fixture('nvidia_nvidia-smi_query-gpu_csv_H200.txt').split(/\r?\n/).filter((l) => l.trim());
  const names = csvCells(head!).map((h) => h.replace(/\s*\[.*\]$/, ''));
  return rows.map((row) => {
    const cells = csvCells(row);
    return NVIDIA_TELEMETRY_FIELDS.map((f) => cells[names.indexOf(f)]!).join(', ');
  }).join('\n');
}

describe('nvidia-smi --query-gpu telemetry', () => {
  it('asks exactly the documented query, without header or units', () => {
    expect(NVIDIA_TELEMETRY_ARGS).toEqual([
      '--query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,power.limit',
      '--format=csv,noheader,nounits',
    ]);
  });

  it('reads the real H200 capture (its units too)', () => {
    const rows = h200TelemetryRows();
    expect(rows).toBe('0, 0 %, 0 MiB, 143771 MiB, 28, 77.71 W, 700.00 W');
    expect(cards(parseNvidiaTelemetry(rows))).toEqual([
      { vendorIndex: 0, utilPct: 0, memoryUsedMib: 0, memoryTotalMib: 143771, temperatureC: 28, powerW: 77.71, powerLimitW: 700, health: 'ok' },
    ]);
  });

  it('[N/A] and [Not Supported] are absent readings, not 0; a lost GPU is an error', () => {
    const out = '0, 35, 1024, 81559, 41, 250.12, 400.00\n1, [N/A], [N/A], [N/A], [N/A], [Not Supported], [Not Supported]\n2, [GPU is lost], [GPU is lost], [GPU is lost], [GPU is lost], [GPU is lost], [GPU is lost]\n';
    const [a, b, c] = cards(parseNvidiaTelemetry(out));
    expect(a).toEqual({ vendorIndex: 0, utilPct: 35, memoryUsedMib: 1024, memoryTotalMib: 81559, temperatureC: 41, powerW: 250.12, powerLimitW: 400, health: 'ok' });
    expect(b).toEqual({ vendorIndex: 1, health: 'ok' });
    expect(c).toEqual({ vendorIndex: 2, health: 'error' });
  });

  it('garbage and truncated output give an error value naming the tool', () => {
    for (const bad of ['\u0000\u00ff#%@ segfault at 0 ip 00007f error 4\n', '0, 0, 0, 143771, 28\n', 'NVIDIA-SMI has failed\n', 'x, 1, 2, 3, 4, 5, 6\n']) {
      const r = parseNvidiaTelemetry(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/^nvidia-smi --query-gpu: output not understood \(.+\)/);
    }
  });
});

describe('rocm-smi --json telemetry (AMD and Hygon share the call)', () => {
  it('AMD RX 7800 XT: bytes to MiB, edge temperature, package power; no Hygon cards', () => {
    expect(cards(parseRocmSmiTelemetryAmd(fixture('amd_rocm-smi_json_RX7800XT.json')))).toEqual([
      { vendorIndex: 0, utilPct: 100, memoryUsedMib: 11077, memoryTotalMib: 16368, temperatureC: 45, powerW: 53, health: 'ok' },
    ]);
    expect(cards(parseRocmSmiTelemetryHygon(fixture('amd_rocm-smi_json_RX7800XT.json')))).toEqual([]);
  });

  it('Hygon DTK JSON: "DCU use (%)" and MiB; no AMD cards', () => {
    expect(cards(parseRocmSmiTelemetryHygon(fixture('hygon_rocm-smi_json_gpustack.json')))).toEqual([
      { vendorIndex: 0, utilPct: 0, memoryUsedMib: 2, memoryTotalMib: 65520, temperatureC: 41, powerW: 80, health: 'ok' },
    ]);
    expect(cards(parseRocmSmiTelemetryAmd(fixture('hygon_rocm-smi_json_gpustack.json')))).toEqual([]);
  });

  it("the DTK's plain rocm-smi table (Z100): temperature, power, cap, utilisation", () => {
    const r = cards(parseRocmSmiTelemetryHygon(fixture('hygon_rocm-smi_DCU-Z100.txt')));
    expect(r).toHaveLength(4);
    expect(r[1]).toEqual({ vendorIndex: 1, utilPct: 0, temperatureC: 30, powerW: 41, powerLimitW: 280, health: 'ok' });
  });

  it('garbage is an error value', () => {
    expect(parseRocmSmiTelemetryAmd('ERROR:root:Driver not initialized').ok).toBe(false);
    expect(parseRocmSmiTelemetryAmd('{"card0": {"Card Ser').ok).toBe(false);
  });
});

describe('table tools', () => {
  it('hy-smi: power and cap, HCU%, Mode as health', () => {
    expect(cards(parseHySmiTelemetry(fixture('hygon_hy-smi_table_snippet.txt')))).toEqual([
      { vendorIndex: 0, utilPct: 0, temperatureC: 61, powerW: 108, powerLimitW: 400, health: 'ok' },
      { vendorIndex: 1, utilPct: 0, temperatureC: 62, powerW: 112, powerLimitW: 400, health: 'ok' },
    ]);
    expect(parseHySmiTelemetry('HCU     Temp     AvgPwr\n0       61.0C\n').ok).toBe(false);
  });

  it('npu-smi info (910B2C): AI Core %, HBM used/total, temperature, power', () => {
    expect(cards(parseNpuSmiTelemetry(fixture('huawei_npu-smi_info_910B2C.txt')))).toEqual([
      { vendorIndex: 0, busId: '0000:5A:00.0', utilPct: 0, memoryUsedMib: 3317, memoryTotalMib: 65536, temperatureC: 53, powerW: 89.9, health: 'ok' },
      { vendorIndex: 1, busId: '0000:29:00.0', utilPct: 0, memoryUsedMib: 3316, memoryTotalMib: 65536, temperatureC: 53, powerW: 93.8, health: 'ok' },
    ]);
  });

  it("npu-smi info (Atlas 300I, four chips on one card): the card's power is not counted once per chip", () => {
    const r = cards(parseNpuSmiTelemetry(fixture('huawei_npu-smi_gpustack_ai-server_atlas-800-inference-server_model-3000_version-1.0.11-1.0.15.txt')));
    expect(r.map((c) => c.busId)).toEqual(['0000:89:00.0', '0000:8A:00.0', '0000:8B:00.0', '0000:8C:00.0']);
    expect(r[0]).toEqual({ vendorIndex: 6, busId: '0000:89:00.0', utilPct: 0, memoryUsedMib: 2703, memoryTotalMib: 8192, temperatureC: 73, health: 'ok' });
  });

  it('cnmon (MLU370-X8): usage and cap in watts, memory used/total', () => {
    expect(cards(parseCnmonTelemetry(fixture('cambricon_cnmon_MLU370-X8.txt')))[1]).toEqual({
      vendorIndex: 1, busId: '0000:3D:00.0', utilPct: 0, memoryUsedMib: 0, memoryTotalMib: 23374, temperatureC: 39, powerW: 106, powerLimitW: 250, health: 'ok',
    });
  });

  it('ixsmi (BI-V150S): "N/A / N/A" power is absent', () => {
    expect(cards(parseIxsmiTelemetry(fixture('iluvatar_ixsmi_BI-V150S.txt')))).toEqual([
      { vendorIndex: 0, busId: '00000000:8A:00.0', utilPct: 0, memoryUsedMib: 114, memoryTotalMib: 32768, temperatureC: 33, health: 'ok' },
    ]);
  });

  it('mx-smi (4× MXC500 under load): utilisation, power, memory; no power cap printed', () => {
    const r = cards(parseMxSmiTelemetry(fixture('metax_mx-smi_MXC500.txt')));
    expect(r.map((c) => c.utilPct)).toEqual([36, 36, 24, 35]);
    expect(r[1]).toEqual({ vendorIndex: 1, busId: '0000:08:00.0', utilPct: 36, memoryUsedMib: 59830, memoryTotalMib: 65536, temperatureC: 54, powerW: 125, health: 'ok' });
  });

  it('mthreads-gmi (S4000): used above total is reported as printed, with a warning health', () => {
    expect(cards(parseMthreadsGmiTelemetry(fixture('mthreads_mthreads-gmi_S4000.txt')))).toEqual([
      { vendorIndex: 0, busId: '00000000:08:00.0', utilPct: 88, memoryUsedMib: 44302, memoryTotalMib: 32768, temperatureC: 65, health: 'warning' },
    ]);
  });

  it('efsmi (2× S60): power usage and cap, DUsed; used memory is not printed, so absent', () => {
    expect(cards(parseEfsmiTelemetry(fixture('enflame_efsmi_S60.txt')))).toEqual([
      { vendorIndex: 0, busId: '00:01:00.0', utilPct: 0, memoryTotalMib: 49120, temperatureC: 39, powerW: 105, powerLimitW: 300, health: 'ok' },
      { vendorIndex: 1, busId: '00:09:00.0', utilPct: 0, memoryTotalMib: 42976, temperatureC: 46, powerW: 128, powerLimitW: 300, health: 'ok' },
    ]);
  });

  it('xpu-smi -q (Kunlunxin P800 PCIe): every reading, limit included', () => {
    expect(cards(parseKunlunxinQueryTelemetry(fixture('kunlunxin_xpu-smi_-q_P800-PCIe.txt')))).toEqual([
      { vendorIndex: 0, busId: '00000000:01:00.0', utilPct: 0, memoryUsedMib: 0, memoryTotalMib: 98304, temperatureC: 46, powerW: 76, powerLimitW: 350, health: 'ok' },
    ]);
  });

  it('legacy xpu_smi (R300): utilisation and memory only', () => {
    expect(cards(parseKunlunxinLegacyTelemetry(fixture('kunlunxin_xpu_smi_legacy_R300.txt')))[0]).toEqual({
      vendorIndex: 0, busId: '0000:53:00.0', utilPct: 0, memoryUsedMib: 0, memoryTotalMib: 32768, health: 'ok',
    });
  });

  it('xpu-smi dump (Intel): columns by header name; metrics not asked are ignored', () => {
    expect(intelDumpArgs([0, 1])).toEqual(['dump', '-d', '0,1', '-m', '0,1,3,18', '-n', '1']);
    expect(cards(parseXpuSmiDump(fixture('intel_xpu-smi_dump_-d_0_-m_0,1,2.txt')))[0]).toEqual({ vendorIndex: 0, utilPct: 0, powerW: 14.61, health: 'ok' });
    const withBlanks = 'Timestamp, DeviceId, GPU Utilization (%), GPU Power (W), GPU Core Temperature (Celsius Degree), GPU Memory Used (MiB)\n06:14:46.000,    1, 12.50, 31.20,  , 2048.00\n';
    expect(cards(parseXpuSmiDump(withBlanks))).toEqual([{ vendorIndex: 1, utilPct: 12.5, powerW: 31.2, memoryUsedMib: 2048, health: 'ok' }]);
  });

  it.each([
    ['npu-smi info', parseNpuSmiTelemetry],
    ['cnmon', parseCnmonTelemetry],
    ['ixsmi', parseIxsmiTelemetry],
    ['mx-smi', parseMxSmiTelemetry],
    ['mthreads-gmi', parseMthreadsGmiTelemetry],
    ['efsmi', parseEfsmiTelemetry],
    ['xpu-smi -q', parseKunlunxinQueryTelemetry],
    ['xpu_smi', parseKunlunxinLegacyTelemetry],
    ['xpu-smi dump', parseXpuSmiDump],
    ['hy-smi', parseHySmiTelemetry],
  ] as const)('%s: garbage is an error value naming the tool, not a throw', (name, parse) => {
    const r = parse('\u0000\u00ff#%@ segfault at 0 ip 00007f error 4\n\x1b[31m???\n');
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.error.startsWith(`${name}: output not understood`)).toBe(true);
  });

  it('a table cut inside a device leaves that device out; the devices before it are read', () => {
    const text = fixture('metax_mx-smi_MXC500.txt');
    const cut = text.slice(0, text.indexOf('| 2           MXC500') + 30);
    const r = cards(parseMxSmiTelemetry(cut));
    expect(r.map((c) => c.vendorIndex)).toEqual([0, 1]);
  });
});

describe('readings to the agent cards', () => {
  const card = (index: number, vendorIndex: number, pciBusId = ''): TrackedCard => ({ index, vendor: 'huawei', tool: 'npu-smi', vendorIndex, pciBusId });

  it('by bus id when the tool prints one (chips sharing an NPU id stay apart), else by the tool index', () => {
    const chips = [card(3, 6, '0000:89:00.0'), card(4, 6, '0000:8a:00.0')];
    const readings = [
      { vendorIndex: 6, busId: '0000:8A:00.0', temperatureC: 74, health: 'ok' as const },
      { vendorIndex: 6, busId: '0000:89:00.0', temperatureC: 73, health: 'ok' as const },
      { vendorIndex: 6, busId: '0000:8B:00.0', temperatureC: 70, health: 'ok' as const },
    ];
    expect(matchReadings(chips, readings)).toEqual([
      { index: 4, temperatureC: 74, health: 'ok' },
      { index: 3, temperatureC: 73, health: 'ok' },
    ]);
    expect(matchReadings([card(0, 1), card(1, 0)], [{ vendorIndex: 0, utilPct: 5, health: 'ok' }])).toEqual([{ index: 1, utilPct: 5, health: 'ok' }]);
  });
});
