// Finds a Python that can import torch (and the device plugin), among the candidates of
// ../python.ts. Answers are cached per device for the life of the process.
import { runJsonChild } from '../child.ts';
import { pythonCandidates } from '../python.ts';
import { BenchError } from '../types.ts';
import { DEVICE_PLUGIN, type TorchDevice } from './devices.ts';

export type PythonProbe = { ok: true; python: string; torch: string } | { ok: false; reason: string };

const PROBE_TIMEOUT_MS = 30_000;
const cache = new Map<string, Promise<PythonProbe>>();

function probeScript(device: TorchDevice): string {
  const plugin = DEVICE_PLUGIN[device];
  const available = device === 'cpu' ? 'True' : `getattr(torch, '${device}').is_available()`;
  return [
    'import json, torch',
    plugin ? `import ${plugin}` : '',
    `print(json.dumps({"torch": torch.__version__, "available": bool(${available})}))`,
  ]
    .filter(Boolean)
    .join('\n');
}

export function findTorchPython(device: TorchDevice, env: NodeJS.ProcessEnv = process.env): Promise<PythonProbe> {
  const candidates = pythonCandidates(env);
  const key = `${device}|${candidates.join('|')}`;
  let p = cache.get(key);
  if (!p) {
    p = probeAll(candidates, device, env);
    cache.set(key, p);
  }
  return p;
}

async function probeAll(candidates: string[], device: TorchDevice, env: NodeJS.ProcessEnv): Promise<PythonProbe> {
  const reasons: string[] = [];
  for (const python of candidates) {
    try {
      const { json } = await runJsonChild(python, ['-c', probeScript(device)], { timeoutMs: PROBE_TIMEOUT_MS, label: `${python} torch check`, env });
      const o = json as { torch?: unknown; available?: unknown };
      if (typeof o.torch === 'string' && o.available === true) return { ok: true, python, torch: o.torch };
      reasons.push(`${python}: torch ${String(o.torch)} has no usable '${device}' device`);
    } catch (e) {
      const msg = e instanceof BenchError ? e.message : String(e);
      const missing = /No module named '?([\w.]+)'?/.exec(msg)?.[1];
      reasons.push(`${python}: ${missing ? `no module '${missing}'` : msg.slice(0, 160)}`);
    }
  }
  const plugin = DEVICE_PLUGIN[device];
  return {
    ok: false,
    reason: `no Python with torch${plugin ? ` and ${plugin}` : ''} for device '${device}' (${reasons.join('; ')}); install PyTorch (Debian: apt-get install python3-torch) or set BANYAN_PYTHON`,
  };
}
