// A simulated host for detection: a scenario file, a PATH holding only the fake vendor CLIs the
// scenario installs (plus `node` for their shebang), and a fake sysfs PCI tree describing the
// same cards. The real detection code runs against it unchanged.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AMD_SMI_ARGS } from '../../agent/detect/amd.ts';
import { HY_SMI_NAME_ARGS } from '../../agent/detect/hygon.ts';
import { NVIDIA_QUERY_ARGS } from '../../agent/detect/nvidia.ts';
import { ROCM_SMI_ARGS } from '../../agent/detect/rocm-smi.ts';
import { INTEL_DISCOVERY_ARGS, KUNLUNXIN_QUERY_ARGS } from '../../agent/detect/xpu-smi.ts';
import { expandScenario, type HardwareScenario, type SimVendor } from './lib/scenario.mjs';
import { render } from './lib/tools.mjs';

export type { HardwareScenario, SimDevice, SimFault, SimHealth, SimVendor } from './lib/scenario.mjs';

export const FAKE_BIN_DIR = fileURLToPath(new URL('./bin/', import.meta.url));

export const FAKE_TOOLS = [
  'nvidia-smi',
  'npu-smi',
  'cnmon',
  'rocm-smi',
  'amd-smi',
  'xpu-smi',
  'xpu_smi',
  'hy-smi',
  'ixsmi',
  'mx-smi',
  'mthreads-gmi',
  'efsmi',
] as const;

/** What each vendor's driver package installs (a real box has only its own vendors' tools). */
export const TOOLS_BY_VENDOR: Record<SimVendor, readonly FakeTool[]> = {
  nvidia: ['nvidia-smi'],
  amd: ['rocm-smi', 'amd-smi'],
  intel: ['xpu-smi'],
  huawei: ['npu-smi'],
  cambricon: ['cnmon'],
  hygon: ['rocm-smi', 'hy-smi'],
  kunlunxin: ['xpu-smi'],
  iluvatar: ['ixsmi'],
  metax: ['mx-smi'],
  mthreads: ['mthreads-gmi'],
  enflame: ['efsmi'],
};

export type FakeTool = (typeof FAKE_TOOLS)[number];

export interface SimulatedHost {
  dir: string;
  /** Where the fake tools keep what they printed (see writeToolWrapper). */
  cacheDir: string;
  /** Environment for detection: PATH with only the installed fake tools, and the scenario. */
  env: NodeJS.ProcessEnv;
  sysfsRoot: string;
  scenarioPath: string;
}

// Functions real boxes have that detection must ignore: an NVIDIA card's HDMI audio, integrated
// Intel graphics, a Hygon CPU's host bridge; and display or engine functions that share an
// accelerator vendor's id: a Huawei board's Hi1711 BMC VGA, a Kunpeng CPU's ZIP engine (a
// processing accelerator, but not an NPU), the Radeon graphics of an AMD APU.
const UNRELATED_PCI: PciFunctionEntry[] = [
  { bdf: '0000:00:02.0', vendor: '8086', device: '4680', cls: '0x030000' },
  { bdf: '0000:00:18.0', vendor: '1d94', device: '1450', cls: '0x060000' },
  { bdf: '0000:00:1f.3', vendor: '8086', device: '7ad0', cls: '0x040300' },
  { bdf: '0000:02:00.0', vendor: '19e5', device: '1711', cls: '0x030000' },
  { bdf: '0000:03:00.0', vendor: '19e5', device: 'a250', cls: '0x120000' },
  { bdf: '0000:04:00.0', vendor: '1002', device: '164e', cls: '0x030000' },
];

/** One PCI function for a fake sysfs tree: "0000:02:00.0", "19e5", "1711", "0x030000". */
export interface PciFunctionEntry {
  bdf: string;
  vendor: string;
  device: string;
  cls: string;
}

/** Writes <root>/bus/pci/devices/<bdf>/{vendor,device,class} for each entry. */
export async function writePciFunctions(sysfsRoot: string, entries: readonly PciFunctionEntry[]): Promise<void> {
  await Promise.all(
    entries.map(async (e) => {
      const dir = join(sysfsRoot, 'bus', 'pci', 'devices', e.bdf);
      await mkdir(dir, { recursive: true });
      await Promise.all([
        writeFile(join(dir, 'vendor'), `0x${e.vendor}\n`),
        writeFile(join(dir, 'device'), `0x${e.device}\n`),
        writeFile(join(dir, 'class'), `${e.cls}\n`),
      ]);
    }),
  );
}

/** Writes <root>/bus/pci/devices/<bdf>/{vendor,device,class} for every card of the scenario. */
export async function writeFakeSysfs(sysfsRoot: string, scenario: HardwareScenario): Promise<void> {
  const devices = expandScenario(scenario);
  const entries = [
    ...UNRELATED_PCI,
    ...devices.map((d) => ({ bdf: d.busId, vendor: d.pciVendor, device: d.pciDevice, cls: d.pciClass })),
    // The audio function of each NVIDIA card: same bus, function 1.
    ...devices.filter((d) => d.vendor === 'nvidia').map((d) => ({ bdf: d.busId.replace(/\.0$/, '.1'), vendor: '10de', device: '22a3', cls: '0x040300' })),
  ];
  await writePciFunctions(sysfsRoot, entries);
}

export async function prepareSimulatedHost(scenario: HardwareScenario, dir?: string): Promise<SimulatedHost> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'banyan-hw-')));
  const bin = join(root, 'bin');
  const sysfsRoot = join(root, 'sys');
  const scenarioPath = join(root, 'scenario.json');
  const cacheDir = join(root, 'tool-output');
  await Promise.all([mkdir(bin, { recursive: true }), mkdir(cacheDir, { recursive: true })]);
  const missing = new Set(scenario.missingTools ?? []);
  const vendors = Object.keys(scenario.vendors) as SimVendor[];
  const installed = new Set<string>(scenario.tools ?? vendors.flatMap((v) => TOOLS_BY_VENDOR[v]));
  await writeFile(scenarioPath, JSON.stringify(scenario, null, 2));
  // File times tick in jiffies: dated a second back, the scenario is surely older than the outputs.
  const past = new Date(Date.now() - 1000);
  await utimes(scenarioPath, past, past);
  const tools = FAKE_TOOLS.filter((t) => installed.has(t) && !missing.has(t));
  await Promise.all([
    ...tools.filter((t) => !scenario.faults?.[t]).map((t) => prerender(cacheDir, t, scenario)),
    writeFakeSysfs(sysfsRoot, scenario),
    symlink(process.execPath, join(bin, 'node')),
    ...tools.map((t) => writeToolWrapper(bin, t)),
  ]);
  return { dir: root, cacheDir, env: { PATH: bin, BANYAN_HW_SCENARIO: scenarioPath, BANYAN_HW_CACHE: cacheDir }, sysfsRoot, scenarioPath };
}

const CAT = ['/bin/cat', '/usr/bin/cat'].find((p) => existsSync(p));

// The invocations detection makes; Intel's per-card `discovery -d N` is added per scenario.
const DETECTION_CALLS: Partial<Record<FakeTool, readonly (readonly string[])[]>> = {
  'nvidia-smi': [NVIDIA_QUERY_ARGS],
  'rocm-smi': [ROCM_SMI_ARGS],
  'amd-smi': [AMD_SMI_ARGS],
  'xpu-smi': [INTEL_DISCOVERY_ARGS, KUNLUNXIN_QUERY_ARGS],
  'npu-smi': [['info', '-m'], ['info']],
  'hy-smi': [[], ['--showmeminfo', 'vram'], HY_SMI_NAME_ARGS],
};

/**
 * Renders the fake's answers to the detection calls in this process, into the same cache the node
 * fake fills (written after the scenario, so newer than it): the first detection on a simulated
 * host then starts no node process either.
 */
async function prerender(cacheDir: string, tool: FakeTool, scenario: HardwareScenario): Promise<void> {
  await Promise.all(
    (DETECTION_CALLS[tool] ?? [[]]).map(async (args) => {
      const r = render(tool, args, scenario);
      if (r.code === 0 && !r.stderr) await writeFile(join(cacheDir, [tool, ...args].join(' ')), r.stdout);
    }),
  );
}

/**
 * The fake tool on the simulated PATH. The fake CLIs are node scripts, and node's start-up (50 to
 * 300 ms of CPU here) would dwarf what the real C tools and our own code cost. So the answers to
 * the detection calls are rendered once, at set-up (see prerender), into $BANYAN_HW_CACHE under
 * "<tool> <args…>", and the wrapper serves them with `cat` while they are newer than the
 * scenario. Everything else (telemetry, other arguments, faults, a rewritten scenario) runs the
 * node fake. Without a `cat`, the wrapper is a plain link to the node fake.
 */
async function writeToolWrapper(bin: string, tool: FakeTool): Promise<void> {
  const fake = join(FAKE_BIN_DIR, tool);
  if (!CAT) return symlink(fake, join(bin, tool));
  const script = [
    '#!/bin/sh',
    `f="$BANYAN_HW_CACHE/${tool}"`,
    'for a in "$@"; do f="$f $a"; done',
    `if [ -n "$BANYAN_HW_CACHE" ] && [ -n "$BANYAN_HW_SCENARIO" ] && [ -f "$f" ] && [ "$f" -nt "$BANYAN_HW_SCENARIO" ]; then exec ${CAT} "$f"; fi`,
    `exec '${process.execPath}' '${fake}' "$@"`,
    '',
  ].join('\n');
  await writeFile(join(bin, tool), script);
  await chmod(join(bin, tool), 0o755);
}
