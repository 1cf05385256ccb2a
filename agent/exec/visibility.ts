// How each vendor's runtime is told which accelerators a workload may use: one table, one place.
// Each variable renumbers the listed devices from 0, so exactly one variable is set per vendor
// (setting two stacked filters, e.g. ROCR_ and HIP_VISIBLE_DEVICES, would filter twice).
import type { VendorId } from '../../protocol/vendors.ts';

export interface Visibility {
  variable: string;
  format: (indexes: readonly number[]) => string;
  source: string;
}

const commaList = (indexes: readonly number[]): string => indexes.join(',');

export const VISIBILITY: Record<VendorId, Visibility> = {
  nvidia: {
    variable: 'CUDA_VISIBLE_DEVICES',
    format: commaList,
    source: 'https://docs.nvidia.com/deploy/topics/topic_5_2_1.html (CUDA_VISIBLE_DEVICES, MPS guide)',
  },
  amd: {
    // ROCm recommends ROCR_ on Linux: it applies to every user-mode ROCm runtime, HIP and OpenCL.
    variable: 'ROCR_VISIBLE_DEVICES',
    format: commaList,
    source: 'https://rocm.docs.amd.com/projects/HIP/en/latest/reference/env_variables.html ("On Linux, use ROCR_VISIBLE_DEVICES")',
  },
  intel: {
    variable: 'ZE_AFFINITY_MASK',
    format: commaList,
    source: 'https://spec.oneapi.io/level-zero/latest/core/PROG.html#affinity-mask (Level Zero affinity mask)',
  },
  huawei: {
    variable: 'ASCEND_RT_VISIBLE_DEVICES',
    // CANN reads only an ascending list and stops at the first character it does not expect.
    format: (indexes) => [...indexes].sort((a, b) => a - b).join(','),
    source: 'https://www.hiascend.com/document/detail/en/canncommercial/800/apiref/envvar/envref_07_0028.html',
  },
  cambricon: {
    variable: 'MLU_VISIBLE_DEVICES',
    format: commaList,
    source: 'github.com/ray-project/ray python/ray/_private/accelerators/mlu.py (MLU_VISIBLE_DEVICES)',
  },
  hygon: {
    // The DCU toolkit (DTK) is ROCm-derived; its HIP runtime reads HIP_VISIBLE_DEVICES.
    variable: 'HIP_VISIBLE_DEVICES',
    format: commaList,
    source: 'FlagScale/FlagGems platform tables (Hygon: hy-smi, HIP_VISIBLE_DEVICES); ROCm HIP env_variables reference',
  },
  kunlunxin: {
    variable: 'XPU_VISIBLE_DEVICES',
    format: commaList,
    source: 'github.com/PaddlePaddle/docs docs/api/paddle/static/xpu_places_cn.rst; vllm-kunlun environment variables doc',
  },
  iluvatar: {
    // CoreX is CUDA-compatible; ILUVATAR_COREX_VISIBLE_DEVICES is the container toolkit's
    // variable (UUIDs, read by the OCI hook), not the runtime's.
    variable: 'CUDA_VISIBLE_DEVICES',
    format: commaList,
    source: 'FlagGems vendor env map ("Iluvatar said to support CUDA_VISIBLE_DEVICES"); KernelGen platform table (Iluvatar: CUDA_VISIBLE_DEVICES)',
  },
  metax: {
    // Upstream Ray sets CUDA_VISIBLE_DEVICES for MetaX, but MetaX-maintained integrations and
    // FlagScale's platform table use MACA_VISIBLE_DEVICES, the MACA runtime's own variable.
    variable: 'MACA_VISIBLE_DEVICES',
    format: commaList,
    source: 'FlagScale platform table (MetaX: mx-smi, MACA_VISIBLE_DEVICES); MetaX Ray accelerator manager ("MetaX reads MACA_VISIBLE_DEVICES")',
  },
  mthreads: {
    variable: 'MUSA_VISIBLE_DEVICES',
    format: commaList,
    source: 'MUSA runtime device discovery (getenv("MUSA_VISIBLE_DEVICES")); HAMi mthreads device-injector',
  },
  enflame: {
    variable: 'TOPS_VISIBLE_DEVICES',
    format: commaList,
    source: 'vllm-gcu platform (device_control_env_var = "TOPS_VISIBLE_DEVICES")',
  },
  biren: {
    variable: 'SUPA_VISIBLE_DEVICES',
    format: commaList,
    source: 'github.com/ray-project/ray python/ray/_private/accelerators/biren_gpu.py (SUPA_VISIBLE_DEVICES)',
  },
};

/** The environment that limits a workload to its assigned accelerators; empty when none. */
export function visibilityEnv(vendor: VendorId | '', indexes: readonly number[]): Record<string, string> {
  if (vendor === '' || indexes.length === 0) return {};
  const v = VISIBILITY[vendor];
  return { [v.variable]: v.format(indexes) };
}
