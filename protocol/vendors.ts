// The accelerator vendors Banyan knows, and which count as domestic for the city plan's 80 % rule.
export const VENDORS = {
  nvidia: { name: 'NVIDIA', domestic: false },
  amd: { name: 'AMD', domestic: false },
  intel: { name: 'Intel', domestic: false },
  huawei: { name: 'Huawei Ascend', domestic: true },
  cambricon: { name: 'Cambricon', domestic: true },
  hygon: { name: 'Hygon DCU', domestic: true },
  kunlunxin: { name: 'Kunlunxin', domestic: true },
  iluvatar: { name: 'Iluvatar CoreX', domestic: true },
  metax: { name: 'MetaX', domestic: true },
  mthreads: { name: 'Moore Threads', domestic: true },
  enflame: { name: 'Enflame', domestic: true },
  biren: { name: 'Biren', domestic: true },
} as const;

export type VendorId = keyof typeof VENDORS;

export function isVendorId(v: string): v is VendorId {
  return Object.hasOwn(VENDORS, v);
}

export function isDomesticVendor(v: string): boolean {
  return isVendorId(v) && VENDORS[v].domestic;
}
