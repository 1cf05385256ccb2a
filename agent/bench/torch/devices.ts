// Which PyTorch device type drives each vendor's accelerators. Vendors whose PyTorch port
// exposes the CUDA API (ROCm, Hygon DTK, Iluvatar CoreX, MetaX MACA) use "cuda".
import type { VendorId } from '../../../protocol/vendors.ts';

export type TorchDevice = 'cuda' | 'npu' | 'mlu' | 'musa' | 'xpu' | 'gcu' | 'cpu';

const BY_VENDOR: Partial<Record<VendorId, TorchDevice>> = {
  nvidia: 'cuda',
  amd: 'cuda',
  hygon: 'cuda',
  iluvatar: 'cuda',
  metax: 'cuda',
  huawei: 'npu',
  cambricon: 'mlu',
  mthreads: 'musa',
  intel: 'xpu',
  enflame: 'gcu',
};

/** The plugin that must import for the device to exist in torch. */
export const DEVICE_PLUGIN: Partial<Record<TorchDevice, string>> = {
  npu: 'torch_npu',
  mlu: 'torch_mlu',
  musa: 'torch_musa',
  gcu: 'torch_gcu',
};

export function torchDeviceFor(vendor: string): TorchDevice | undefined {
  return BY_VENDOR[vendor as VendorId];
}

/**
 * Environment that makes torch's device ordinals follow the vendor tool's indexes. CUDA orders
 * fastest-first by default, nvidia-smi by PCI bus: force PCI order.
 */
export function ordinalEnv(device: TorchDevice): NodeJS.ProcessEnv {
  return device === 'cuda' ? { CUDA_DEVICE_ORDER: 'PCI_BUS_ID' } : {};
}
