// JSON schemas of the HTTP API (TypeBox): fastify validates requests and serialises responses
// through them, so a field the contract does not name never leaks out.
import { Type, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

const HealthSchema = Type.Union([Type.Literal('ok'), Type.Literal('warning'), Type.Literal('error'), Type.Literal('unknown')]);

/** A card's latest readings: a reading its tool does not give is null, never 0. */
export const CardReadingsSchema = Type.Object({
  index: Type.Integer(),
  utilPct: NullableNumber,
  memoryUsedMib: NullableNumber,
  memoryTotalMib: NullableNumber,
  temperatureC: NullableNumber,
  powerW: NullableNumber,
  powerLimitW: NullableNumber,
  health: HealthSchema,
});

export const CardEfficiencySchema = Type.Object({
  tflopsPerWatt: NullableNumber,
  basis: Type.Union([Type.Literal('measured'), Type.Literal('nominal'), Type.Literal('unknown')]),
  measuredTflopsPerWatt: NullableNumber,
  nominalTflopsPerWatt: NullableNumber,
  tflops: NullableNumber,
});

export const CombinedEfficiencySchema = Type.Object({
  tflopsPerWatt: NullableNumber,
  basis: Type.Union([Type.Literal('measured'), Type.Literal('nominal'), Type.Literal('mixed'), Type.Literal('unknown')]),
  cards: Type.Integer(),
  unknownCards: Type.Integer(),
});

const HostInventorySchema = Type.Object({
  systemVendor: Type.String(),
  systemModel: Type.String(),
  systemSerial: Type.String(),
  cpuModel: Type.String(),
  cpuPhysicalCores: Type.Number(),
  cpuThreads: Type.Number(),
  cpuMaxMhz: Type.Number(),
  memoryMib: Type.Number(),
  disks: Type.Array(Type.Object({ name: Type.String(), model: Type.String(), sizeBytes: Type.Number(), type: Type.String() })),
  nics: Type.Array(Type.Object({ name: Type.String(), mac: Type.String(), speedMbps: Type.Number(), addresses: Type.Array(Type.String()) })),
  os: Type.String(),
  kernel: Type.String(),
  virtualization: Type.String(),
  source: Type.String(),
  collectedAtMs: Type.Number(),
});

export const Fp16FigureSchema = Type.Object({
  tflops: Type.Optional(Type.Number()),
  basis: Type.String(),
  source: Type.String(),
  kind: Type.String(),
  weak: Type.Boolean(),
});

export const AcceleratorSchema = Type.Object({
  vendor: Type.String(),
  model: Type.String(),
  index: Type.Integer(),
  uuid: Type.String(),
  pciBusId: Type.String(),
  pciId: Type.String(),
  memoryMib: Type.Number(),
  driverVersion: Type.String(),
  firmwareVersion: Type.String(),
  health: Type.String(),
  domestic: Type.Boolean(),
  nominal: Fp16FigureSchema,
  detectedBy: Type.String(),
  note: Type.String(),
  tdpW: NullableNumber,
  nominalTflopsPerWatt: NullableNumber,
  telemetry: Nullable(CardReadingsSchema),
  efficiency: CardEfficiencySchema,
  measured: Nullable(
    Type.Composite([
      Fp16FigureSchema,
      Type.Object({
        latencyP50Ms: Type.Number(),
        latencyP99Ms: Type.Number(),
        ratioToNominal: Type.Number(),
        backend: Type.String(),
        atMs: Type.Number(),
        avgPowerW: NullableNumber,
        tflopsPerWatt: NullableNumber,
      }),
    ]),
  ),
});

const RttStatsSchema = Type.Object({
  target: Type.String(),
  targetKind: Type.String(),
  p50Ms: Type.Number(),
  p90Ms: Type.Number(),
  p99Ms: Type.Number(),
  jitterMs: Type.Number(),
  loss: Type.Number(),
  sent: Type.Number(),
  received: Type.Number(),
  minMs: Type.Number(),
});

export const NodeSchema = Type.Object({
  id: Type.String(),
  site: Type.String(),
  status: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown')]),
  statusReason: Type.String(),
  sinceMs: Type.Number(),
  lastSeenMs: Type.Number(),
  agentVersion: Type.String(),
  host: Nullable(
    Type.Object({
      hostname: Type.String(),
      os: Type.String(),
      arch: Type.String(),
      cpuModel: Type.String(),
      cpuCores: Type.Number(),
      memoryMib: Type.Number(),
      inventory: Nullable(HostInventorySchema),
    }),
  ),
  probeAddress: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  location: Nullable(
    Type.Object({ lat: Type.Number(), lon: Type.Number(), site: Type.String(), district: Type.String(), siteKind: Type.String() }),
  ),
  accelerators: Type.Array(AcceleratorSchema),
  nominalTflops: Type.Number(),
  measuredTflops: Type.Union([Type.Number(), Type.Null()]),
  cpuMeasured: Nullable(Type.Composite([Fp16FigureSchema, Type.Object({ rawTflops: Type.Number(), atMs: Type.Number() })])),
  telemetry: Nullable(
    Type.Object({
      cpuPct: Type.Number(),
      memoryUsedPct: Type.Number(),
      load1: Type.Number(),
      runningWorkloads: Type.Number(),
      atMs: Type.Number(),
      accelerators: Type.Array(CardReadingsSchema),
      acceleratorErrors: Type.Array(Type.String()),
      diskFreeMib: NullableNumber,
      diskTotalMib: NullableNumber,
      netRxBytesPerS: NullableNumber,
      netTxBytesPerS: NullableNumber,
    }),
  ),
  acceleratorPowerW: NullableNumber,
  efficiency: CombinedEfficiencySchema,
  latency: Nullable(Type.Object({ atMs: Type.Number(), windowMs: Type.Number(), targets: Type.Array(RttStatsSchema) })),
  runningWorkloads: Type.Array(Type.String()),
  loss: Nullable(
    Type.Object({
      nodeId: Type.String(),
      cause: Type.String(),
      lostAtMs: Type.Number(),
      decidedAtMs: Type.Union([Type.Number(), Type.Null()]),
      evidence: Type.String(),
      backAtMs: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
});

const Totals = Type.Object({
  pflops: Type.Number(),
  domesticPflops: Type.Number(),
  domesticShare: Type.Number(),
  unknownCount: Type.Number(),
});

export const FleetSummarySchema = Type.Object({
  nodes: Type.Object({ total: Type.Number(), online: Type.Number(), offline: Type.Number(), unknown: Type.Number() }),
  accelerators: Type.Number(),
  byVendor: Type.Array(
    Type.Object({
      vendor: Type.String(),
      domestic: Type.Boolean(),
      count: Type.Number(),
      nominalTflops: Type.Number(),
      unknownNominal: Type.Number(),
    }),
  ),
  nominal: Totals,
  measured: Totals,
  cityPlan: Type.Object({ targetPflops: Type.Number(), domesticShareTarget: Type.Number(), meetsDomesticShare: Type.Boolean() }),
  energy: Type.Object({ powerW: Type.Number(), cardsReportingPower: Type.Integer(), efficiency: CombinedEfficiencySchema }),
});

export const ErrorSchema = Type.Object({ error: Type.String(), message: Type.String() });
