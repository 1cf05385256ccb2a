// What SCADA sees of a Banyan node: the Sparkplug metrics of its edge node and of each accelerator
// (device acc<index>), read from the registry's record. One place names them and their datatypes.
import { DataType, type DataTypeCode, type MetricValue } from '../../protocol/sparkplug/codec.ts';
import { parseBenchTarget } from '../../protocol/targets.ts';
import type { NodeRecord } from '../registry.ts';

export interface MetricSpec {
  name: string;
  datatype: DataTypeCode;
  value: MetricValue;
}

export interface DeviceSpec {
  id: string;
  metrics: MetricSpec[];
}

/** The metric a host writes true to in an NCMD to ask for NBIRTH and DBIRTHs again. */
export const REBIRTH_METRIC = 'Node Control/Rebirth';
export const BDSEQ_METRIC = 'bdSeq';

export function deviceId(acceleratorIndex: number): string {
  return `acc${acceleratorIndex}`;
}

const m = (name: string, datatype: DataTypeCode, value: MetricValue): MetricSpec => ({ name, datatype, value });
const num = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);
const whole = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) || v < 0 ? null : Math.round(v));

/** Measured FP16-eq TFLOPS per accelerator index, from the node's latest bench report. */
function measuredByIndex(n: NodeRecord): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of n.bench?.results ?? []) {
    const i = parseBenchTarget(r.target);
    if (i !== null && r.fp16.tflops !== undefined) out.set(i, r.fp16.tflops);
  }
  return out;
}

function sumOrNull(values: (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

/** The edge node's metrics (bdSeq aside: the edge node adds it to NBIRTH and NDEATH). */
export function nodeMetrics(n: NodeRecord): MetricSpec[] {
  const b = n.birth;
  const t = n.telemetry;
  const measured = measuredByIndex(n);
  const out: MetricSpec[] = [
    m(REBIRTH_METRIC, DataType.Boolean, false),
    m('Status', DataType.String, n.status),
    m('Status Reason', DataType.String, n.statusReason),
    m('Properties/Site', DataType.String, b?.location.site || n.site),
    m('Properties/District', DataType.String, b?.location.district ?? null),
    m('Properties/Site Kind', DataType.String, b?.location.siteKind ?? null),
    m('Properties/Latitude', DataType.Double, num(b?.location.lat)),
    m('Properties/Longitude', DataType.Double, num(b?.location.lon)),
    m('Properties/Hostname', DataType.String, b?.host.hostname ?? null),
    m('Properties/Agent Version', DataType.String, b?.agentVersion ?? null),
    m('Properties/Accelerators', DataType.Int32, b?.accelerators.length ?? 0),
    m('FP16 TFLOPS/Nominal', DataType.Double, sumOrNull((b?.accelerators ?? []).map((a) => a.nominal.tflops))),
    m('FP16 TFLOPS/Measured', DataType.Double, sumOrNull([...measured.values()])),
    m('CPU/Utilisation %', DataType.Float, num(t?.cpuPct)),
    m('Memory/Used %', DataType.Float, num(t?.memoryUsedPct)),
    m('Running Workloads', DataType.Int32, t ? t.runningWorkloads : null),
  ];
  // The landmarks this node probes (its site's); a landmark first seen later changes the metric set,
  // which the edge node answers with a rebirth.
  const landmarks = (n.latency?.targets ?? []).filter((r) => r.targetKind === 'landmark').sort((a, b) => a.target.localeCompare(b.target));
  for (const r of landmarks) {
    const name = r.target.replaceAll('/', '_');
    out.push(m(`RTT/${name}/p50 ms`, DataType.Double, r.received > 0 ? num(r.p50Ms) : null));
    out.push(m(`RTT/${name}/Loss %`, DataType.Float, num(r.loss * 100)));
  }
  return out;
}

/** One device per accelerator in the birth; live readings from the latest telemetry, null where the tool gives none. */
export function deviceMetrics(n: NodeRecord): DeviceSpec[] {
  const measured = measuredByIndex(n);
  const samples = new Map((n.telemetry?.accelerators ?? []).map((s) => [s.index, s]));
  return (n.birth?.accelerators ?? []).map((a) => {
    const s = samples.get(a.index);
    return {
      id: deviceId(a.index),
      metrics: [
        m('Properties/Vendor', DataType.String, a.vendor),
        m('Properties/Model', DataType.String, a.model),
        m('Properties/UUID', DataType.String, a.uuid),
        m('Properties/PCI Bus Id', DataType.String, a.pciBusId),
        m('Properties/Memory MiB', DataType.UInt32, whole(a.memoryMib)),
        m('Properties/Domestic', DataType.Boolean, a.domestic),
        m('Properties/TDP W', DataType.Float, num(a.tdpW)),
        m('Health', DataType.String, s?.health ?? a.health),
        m('FP16 TFLOPS/Nominal', DataType.Double, num(a.nominal.tflops)),
        m('FP16 TFLOPS/Measured', DataType.Double, measured.get(a.index) ?? null),
        m('Utilisation %', DataType.Float, num(s?.utilPct)),
        m('Temperature C', DataType.Float, num(s?.temperatureC)),
        m('Power W', DataType.Float, num(s?.powerW)),
        m('Memory Used MiB', DataType.UInt32, whole(s?.memoryUsedMib)),
      ],
    };
  });
}
