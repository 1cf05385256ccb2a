// The catalogue of nominal dense throughput per accelerator model (accelerators.json), plus an
// optional site override file that adds or corrects models. Both are validated on load; lookups
// match the PCI device id first, then the model string as the vendor tool prints it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Fp16Figure } from '../../protocol/messages.ts';
import { toFp16Eq, unknownFp16, type DenseFigures, type Factors, type Precision } from '../../protocol/fp16.ts';
import { isVendorId, VENDORS, type VendorId } from '../../protocol/vendors.ts';

export const BUILTIN_CATALOG_PATH = fileURLToPath(new URL('./accelerators.json', import.meta.url));

const PRECISIONS: readonly Precision[] = ['fp16', 'bf16', 'fp32', 'int8', 'fp8', 'fp64'];

export interface CatalogEntry {
  id: string;
  vendor: VendorId;
  model: string;
  match: { names: string[]; pciDeviceIds?: string[] };
  memoryMib?: number;
  dense: DenseFigures;
  domestic: boolean;
  source: string;
  verified: boolean;
  note?: string;
  /** Board power / TDP the vendor states, in watts; only with `tdpSource`. */
  tdpW?: number;
  /** Where the TDP figure comes from: never a TDP without one. */
  tdpSource?: string;
  /** Where the entry came from: the built-in file, or the site override that replaced it. */
  origin: string;
}

export interface Catalog {
  version: string;
  entries: CatalogEntry[];
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

export interface LoadCatalogOptions {
  /** Site override file: same shape as accelerators.json; its models add to or replace the built-in ones by id. */
  overridePath?: string;
  /** Defaults to the built-in accelerators.json. */
  path?: string;
}

export async function loadCatalog(opts: LoadCatalogOptions = {}): Promise<Catalog> {
  const base = await readCatalogFile(opts.path ?? BUILTIN_CATALOG_PATH, 'catalogue');
  if (!opts.overridePath) return base;
  const site = await readCatalogFile(opts.overridePath, 'site override');
  const byId = new Map(base.entries.map((e) => [e.id, e] as const));
  for (const e of site.entries) byId.set(e.id, e);
  // Override entries first, so a corrected model wins over an older entry matching the same name.
  const overridden = new Set(site.entries.map((e) => e.id));
  const entries = [...site.entries, ...[...byId.values()].filter((e) => !overridden.has(e.id))];
  return { version: `${base.version}+site:${site.version}`, entries };
}

async function readCatalogFile(path: string, what: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CatalogError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CatalogError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const origin = what === 'catalogue' ? 'catalogue' : `site override ${path}`;
  return validateCatalog(doc, `${what} ${path}`, origin);
}

/** Checks a decoded catalogue document; throws one CatalogError listing every problem. */
export function validateCatalog(doc: unknown, where: string, origin = 'catalogue'): Catalog {
  const problems: string[] = [];
  if (!isObject(doc)) throw new CatalogError(`${where}: expected an object with "version" and "models"`);
  const version = doc['version'];
  if (typeof version !== 'string' || version === '') problems.push('"version" must be a non-empty string');
  const models = doc['models'];
  if (!Array.isArray(models)) throw new CatalogError(`${where}: "models" must be an array`);
  const entries: CatalogEntry[] = [];
  const ids = new Set<string>();
  models.forEach((m: unknown, i) => {
    const at = `models[${i}]`;
    if (!isObject(m)) return problems.push(`${at} must be an object`);
    const before = problems.length;
    const id = m['id'];
    if (typeof id !== 'string' || !/^[a-z0-9-]+$/.test(id)) problems.push(`${at}.id must be lower-case letters, digits and dashes`);
    else if (ids.has(id)) problems.push(`${at}.id "${id}" is repeated`);
    else ids.add(id);
    const vendor = m['vendor'];
    if (typeof vendor !== 'string' || !isVendorId(vendor)) problems.push(`${at}.vendor must be one of ${Object.keys(VENDORS).join(', ')}`);
    for (const k of ['model', 'source'] as const) {
      if (typeof m[k] !== 'string' || m[k] === '') problems.push(`${at}.${k} must be a non-empty string`);
    }
    if (typeof m['verified'] !== 'boolean') problems.push(`${at}.verified must be true or false`);
    if (typeof m['domestic'] !== 'boolean') problems.push(`${at}.domestic must be true or false`);
    else if (typeof vendor === 'string' && isVendorId(vendor) && VENDORS[vendor].domestic !== m['domestic']) {
      problems.push(`${at}.domestic contradicts vendor ${vendor} (protocol/vendors.ts says ${VENDORS[vendor].domestic})`);
    }
    const match = m['match'];
    const names = isObject(match) ? match['names'] : undefined;
    const pciIds = isObject(match) ? match['pciDeviceIds'] : undefined;
    if (!isStringArray(names) || names.length === 0) problems.push(`${at}.match.names must be a non-empty array of strings`);
    if (pciIds !== undefined && (!isStringArray(pciIds) || !pciIds.every((p) => /^0x[0-9a-f]{4}$/.test(p)))) {
      problems.push(`${at}.match.pciDeviceIds must be lower-case "0x1234" strings`);
    }
    const memory = m['memoryMib'];
    if (memory !== undefined && !(typeof memory === 'number' && memory > 0)) problems.push(`${at}.memoryMib must be a positive number`);
    const tdp = m['tdpW'];
    const tdpSource = m['tdpSource'];
    if (tdp !== undefined && !(typeof tdp === 'number' && Number.isFinite(tdp) && tdp > 0)) problems.push(`${at}.tdpW must be a positive number of watts`);
    if (tdp !== undefined && !(typeof tdpSource === 'string' && tdpSource.trim() !== '')) problems.push(`${at}.tdpW needs a tdpSource naming the vendor's stated figure`);
    if (tdpSource !== undefined && tdp === undefined) problems.push(`${at}.tdpSource without a tdpW`);
    const dense = m['dense'];
    if (!isObject(dense)) problems.push(`${at}.dense must be an object (empty for an unverified model)`);
    else {
      for (const [p, v] of Object.entries(dense)) {
        if (!(PRECISIONS as readonly string[]).includes(p)) problems.push(`${at}.dense.${p}: unknown precision (known: ${PRECISIONS.join(', ')})`);
        else if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) problems.push(`${at}.dense.${p} must be a positive number`);
      }
      if (m['verified'] === false && Object.keys(dense).length > 0) {
        problems.push(`${at}: an unverified model must not state figures (found ${Object.keys(dense).join(', ')}); verify it or leave dense empty`);
      }
      if (m['verified'] === true && Object.keys(dense).length === 0) problems.push(`${at}: a verified model needs at least one dense figure`);
    }
    if (problems.length > before) return;
    entries.push({
      id: id as string,
      vendor: vendor as VendorId,
      model: m['model'] as string,
      match: { names: names as string[], ...(pciIds ? { pciDeviceIds: pciIds as string[] } : {}) },
      ...(memory !== undefined ? { memoryMib: memory as number } : {}),
      dense: dense as DenseFigures,
      domestic: m['domestic'] as boolean,
      source: m['source'] as string,
      verified: m['verified'] as boolean,
      ...(typeof m['note'] === 'string' ? { note: m['note'] } : {}),
      ...(tdp !== undefined ? { tdpW: tdp as number, tdpSource: tdpSource as string } : {}),
      origin,
    });
  });
  if (problems.length) throw new CatalogError(`${where} is invalid:\n  - ${problems.join('\n  - ')}`);
  return { version: version as string, entries };
}

/** "NVIDIA A100-SXM4-80GB" and "nvidia a100 sxm4 80gb" are the same model string. */
export function normalizeModel(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export interface LookupKey {
  vendor: VendorId;
  model: string;
  pciDeviceId?: string;
}

export function lookup(catalog: Catalog, key: LookupKey): CatalogEntry | undefined {
  const own = catalog.entries.filter((e) => e.vendor === key.vendor);
  const dev = key.pciDeviceId?.toLowerCase();
  const byName = own.find((e) => e.match.names.some((n) => normalizeModel(n) === normalizeModel(key.model)));
  const byPci = dev ? own.find((e) => e.match.pciDeviceIds?.includes(dev)) : undefined;
  // A site override naming the model beats a built-in PCI id match.
  if (byName && byName.origin !== 'catalogue') return byName;
  return byPci ?? byName;
}

/** The nominal FP16-equivalent figure for a detected model, with where it came from. */
export function nominalFp16(catalog: Catalog, entry: CatalogEntry | undefined, model: string, factors?: Partial<Factors>): Fp16Figure {
  if (!entry) return unknownFp16('nominal', `not in catalogue v${catalog.version}: add "${model}" to a site override`);
  const where = entry.origin === 'catalogue' ? `catalogue v${catalog.version}` : entry.origin;
  if (!entry.verified) return unknownFp16('nominal', `${where} ${entry.id}: UNVERIFIED, no datasheet figure yet (${entry.source})`);
  return toFp16Eq(entry.dense, { kind: 'nominal', source: `${where} ${entry.id}: ${entry.source}`, factors });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');
}
