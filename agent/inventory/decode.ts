// Decode-and-validate for what the inventory child prints: one checked HostInventory, or a reason
// that names the first problems (the child is another process, and another library's answers).
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { HostInventory } from '../../protocol/messages.ts';

const Count = Type.Integer({ minimum: 0 });

const InventorySchema = Type.Object({
  systemVendor: Type.String(),
  systemModel: Type.String(),
  systemSerial: Type.String(),
  cpuModel: Type.String(),
  cpuPhysicalCores: Count,
  cpuThreads: Count,
  cpuMaxMhz: Type.Number({ minimum: 0 }),
  memoryMib: Count,
  disks: Type.Array(Type.Object({ name: Type.String(), model: Type.String(), sizeBytes: Count, type: Type.String() })),
  nics: Type.Array(Type.Object({ name: Type.String(), mac: Type.String(), speedMbps: Count, addresses: Type.Array(Type.String()) })),
  os: Type.String(),
  kernel: Type.String(),
  virtualization: Type.String(),
  source: Type.String({ minLength: 1 }),
  collectedAtMs: Count,
});

// The schema and the wire type must not drift apart.
const _sameShape: Static<typeof InventorySchema> extends HostInventory ? (HostInventory extends Static<typeof InventorySchema> ? true : never) : never = true;
void _sameShape;

export type DecodedInventory = { ok: true; inventory: HostInventory } | { ok: false; error: string };

/** stdout of the child → a HostInventory; extra fields are dropped, missing or mistyped ones named. */
export function decodeInventory(stdout: string): DecodedInventory {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    const head = stdout.trim().slice(0, 120);
    return { ok: false, error: `printed no JSON (${head ? JSON.stringify(head) : 'nothing'})` };
  }
  if (!Value.Check(InventorySchema, value)) {
    // The first problem per field, for the first three fields.
    const byPath = new Map<string, string>();
    for (const e of Value.Errors(InventorySchema, value)) if (!byPath.has(e.path)) byPath.set(e.path, `${e.path || '/'}: ${e.message}`);
    const problems = [...byPath.values()].slice(0, 3);
    return { ok: false, error: `printed JSON that is not a host inventory (${problems.join('; ')})` };
  }
  return { ok: true, inventory: Value.Clean(InventorySchema, structuredClone(value)) as HostInventory };
}
