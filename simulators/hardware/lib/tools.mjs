// The fake vendor CLIs: each prints what the real tool prints (templated from the real samples
// in tests/fixtures/vendors/) for the devices of the scenario in $BANYAN_HW_SCENARIO.
import { expandScenario, loadScenario } from './scenario.mjs';

const pad = (v, n) => String(v).padEnd(n);
const lpad = (v, n) => String(v).padStart(n);
const shortBus = (busId) => `0000${busId}`; // "00000000:83:00.0", nvidia-smi style
const upperBus = (busId) => busId.toUpperCase().replace(/^0000/, '0000');
// A reading the real tool prints with this many decimals, or its "no value" word when the scenario has none.
const fix = (v, digits, none = 'N/A') => (v === undefined ? none : Number(v).toFixed(digits));

// What a broken driver makes each tool print (stderr) and exit with.
const DRIVER_ERRORS = {
  'nvidia-smi': ["NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.", 9],
  'npu-smi': ['dcmi module initialize failed. ret is -8005', 1],
  cnmon: ['cndev_init failed: No Cambricon device found or driver not loaded', 1],
  'rocm-smi': ['ERROR:root:Driver not initialized (amdgpu not found in modules)', 1],
  'amd-smi': ['AMD-SMI initialization failed: amdgpu driver not loaded', 1],
  'xpu-smi': ['Failed to initialize the driver, error code 1', 1],
  xpu_smi: ['open /dev/xpuctrl failed', 1],
  'hy-smi': ['Error: hydcu driver not initialized', 1],
  ixsmi: ['Failed to initialize IX-ML: Driver Not Loaded', 9],
  'mx-smi': ['mx-smi: failed to initialize: driver not loaded', 1],
  'mthreads-gmi': ['Failed to initialize MTML: driver not loaded', 1],
  efsmi: ['efsmi: Enflame driver is not loaded', 1],
};

const TOOLS = {
  'nvidia-smi': nvidiaSmi,
  'npu-smi': npuSmi,
  cnmon,
  'rocm-smi': rocmSmi,
  'amd-smi': amdSmi,
  'xpu-smi': xpuSmi,
  xpu_smi: kunlunLegacy,
  'hy-smi': hySmi,
  ixsmi,
  'mx-smi': mxSmi,
  'mthreads-gmi': mthreadsGmi,
  efsmi,
};

export const TOOL_NAMES = Object.keys(TOOLS);

export function main(tool) {
  const scenario = loadScenario();
  const fault = scenario.faults?.[tool];
  if (fault === 'hang') {
    setInterval(() => {}, 1 << 30);
    return;
  }
  if (fault === 'driver-error') {
    const [msg, code] = DRIVER_ERRORS[tool];
    process.stderr.write(msg + '\n');
    process.exitCode = code;
    return;
  }
  if (fault === 'garbage') {
    process.stdout.write('\u0000\u00ff#%@ segfault at 0 ip 00007f error 4\n\x1b[31m???\n');
    return;
  }
  const { stdout, stderr, code } = render(tool, process.argv.slice(2), scenario);
  process.stdout.write(stdout);
  if (stderr) process.stderr.write(stderr);
  process.exitCode = code;
}

/** What `tool args` prints for a scenario, faults aside: { stdout, stderr, code }. */
export function render(tool, args, scenario) {
  const all = expandScenario(scenario).filter((d) => !d.pciOnly);
  const { stdout = '', stderr = '', code = 0 } = TOOLS[tool](args, all, scenario);
  return { stdout, stderr, code };
}

const of = (all, vendor) => all.filter((d) => d.vendor === vendor);

// ---- NVIDIA ----
const NVIDIA_FIELDS = {
  index: (d) => String(d.index),
  uuid: (d) => d.uuid,
  name: (d) => d.model,
  serial: (d) => d.serial,
  'pci.bus_id': (d) => shortBus(d.busId).toUpperCase(),
  'pci.device_id': (d) => `0x${d.pciDevice}${d.pciVendor}`.toUpperCase().replace('0X', '0x'),
  'memory.total': (d, u) => (d.health === 'error' ? '[Unknown Error]' : u(d.memoryMib, 'MiB')),
  driver_version: (d) => d.driver,
  vbios_version: (d) => d.firmware,
  'ecc.errors.uncorrected.volatile.total': (d) => (d.health === 'warning' ? '3' : '0'),
  'retired_pages.pending': () => 'No',
  'utilization.gpu': (d, u) => (d.health === 'error' ? '[Unknown Error]' : u(d.readings.utilPct, '%')),
  'memory.used': (d, u) => (d.health === 'error' ? '[Unknown Error]' : u(d.readings.memoryUsedMib, 'MiB')),
  'temperature.gpu': (d) => fix(d.readings.temperatureC, 0, '[N/A]'),
  'power.draw': (d, u) => (d.readings.powerW === undefined ? '[N/A]' : u(fix(d.readings.powerW, 2), 'W')),
  'power.limit': (d, u) => (d.readings.powerLimitW === undefined ? '[N/A]' : u(fix(d.readings.powerLimitW, 2), 'W')),
};
const NVIDIA_UNITS = { 'memory.total': 'MiB', 'memory.used': 'MiB', 'utilization.gpu': '%', 'power.draw': 'W', 'power.limit': 'W' };

function nvidiaSmi(args, all) {
  const gpus = of(all, 'nvidia');
  if (gpus.length === 0) return { stdout: 'No devices were found\n', code: 6 };
  const query = args.find((a) => a.startsWith('--query-gpu='));
  if (query) {
    const fields = query.slice('--query-gpu='.length).split(',');
    const bad = fields.find((f) => !(f in NVIDIA_FIELDS));
    if (bad) return { stdout: `Field "${bad}" is not a valid field to query.\n\n`, code: 2 };
    const format = (args.find((a) => a.startsWith('--format=')) ?? '--format=csv').slice(9).split(',');
    const nounits = format.includes('nounits');
    const u = (v, unit) => (nounits ? String(v) : `${v} ${unit}`);
    const header = fields.map((f) => (NVIDIA_UNITS[f] ? `${f} [${NVIDIA_UNITS[f]}]` : f)).join(', ');
    const rows = gpus.map((d) => fields.map((f) => NVIDIA_FIELDS[f](d, u)).join(', '));
    return { stdout: [...(format.includes('noheader') ? [] : [header]), ...rows].join('\n') + '\n' };
  }
  if (args.includes('-L')) return { stdout: gpus.map((d) => `GPU ${d.index}: ${d.model} (UUID: ${d.uuid})\n`).join('') };
  const rule = '+-----------------------------------------+------------------------+----------------------+';
  const lines = [
    'Fri Jul  3 22:10:45 2026       ',
    '+-----------------------------------------------------------------------------------------+',
    `| NVIDIA-SMI ${pad(gpus[0].driver, 22)} Driver Version: ${pad(gpus[0].driver, 14)} CUDA Version: 13.1     |`,
    rule,
    '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
    '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
    '|                                         |                        |               MIG M. |',
    '|=========================================+========================+======================|',
  ];
  for (const d of gpus) {
    const err = d.health === 'error';
    const r = d.readings;
    // The table truncates watts: 77.71 W prints "77W".
    const pwr = `${lpad(r.powerW === undefined ? 'N/A' : `${Math.trunc(r.powerW)}W`, 5)} / ${lpad(r.powerLimitW === undefined ? 'N/A' : `${Math.trunc(r.powerLimitW)}W`, 5)}`;
    lines.push(
      `| ${lpad(d.index, 3)}  ${pad(d.model, 31)}On  | ${lpad(shortBus(d.busId).toUpperCase(), 18)} Off | ${lpad(err ? 'ERR!' : d.health === 'warning' ? 3 : 0, 20)} |`,
      `| N/A   ${lpad(`${fix(r.temperatureC, 0)}C`, 3)}    P0           ${pwr} | ${lpad(`${r.memoryUsedMib}MiB / ${d.memoryMib}MiB`, 22)} | ${lpad(`${r.utilPct}%`, 7)}      Default |`,
      '|                                         |                        |             Disabled |',
      rule,
    );
  }
  return { stdout: lines.join('\n') + '\n' };
}

// ---- Huawei Ascend ----
function npuSmi(args, all) {
  const npus = of(all, 'huawei');
  if (args[0] === 'info' && args[1] === '-m') {
    const lines = ['NPU ID                         Chip ID                        Chip Logic ID                  Chip Name'];
    for (const d of npus) {
      lines.push(`${pad(d.index, 31)}${pad(0, 31)}${pad(d.index, 31)}Ascend ${d.model}`);
      lines.push(`${pad(d.index, 31)}${pad(1, 31)}${pad('-', 31)}Mcu`);
    }
    return { stdout: lines.join('\n') + '\n' };
  }
  if (args[0] !== 'info' || args.length > 1) return { stderr: 'Usage: npu-smi info [-m] ...\n', code: 1 };
  const driver = npus[0]?.driver ?? '23.0.3';
  const rule = '+===========================+===============+====================================================+';
  const health = { ok: 'OK', warning: 'Warning', error: 'Critical' };
  const lines = [
    '+------------------------------------------------------------------------------------------------+',
    `| npu-smi ${pad(driver, 24)} Version: ${pad(driver, 53)}|`,
    '+---------------------------+---------------+----------------------------------------------------+',
    '| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|',
    '| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |',
    rule,
  ];
  for (const d of npus) {
    const r = d.readings;
    lines.push(
      `| ${pad(d.index, 5)} ${pad(d.model, 19)} | ${pad(health[d.health], 13)} | ${pad(fix(r.powerW, 1), 11)} ${pad(fix(r.temperatureC, 0), 17)} 0    / 0             |`,
      `| 0                         | ${pad(d.busId.toUpperCase(), 13)} | ${pad(r.utilPct, 11)} 0    / 0          ${pad(`${r.memoryUsedMib} / ${d.memoryMib}`, 21)}|`,
      rule,
    );
  }
  return { stdout: lines.join('\n') + '\n' };
}

// ---- Cambricon ----
function cnmon(args, all) {
  const cards = of(all, 'cambricon');
  const driver = cards[0]?.driver ?? '5.10.13';
  const rule = '+-------------------------------+----------------------+-----------------------+';
  const lines = [
    '+------------------------------------------------------------------------------+',
    `| CNMON v${pad(driver, 53)} Driver v${pad(driver, 8)}|`,
    rule,
    '| Card  VF  Name       Firmware |               Bus-Id | Util        Ecc-Error |',
    '| Fan   Temp      Pwr:Usage/Cap |         Memory-Usage | SR-IOV   Compute-Mode |',
    '|===============================+======================+=======================|',
  ];
  for (const d of cards) {
    const r = d.readings;
    const util = d.health === 'error' ? 'ERR!' : `${r.utilPct}%`;
    const ecc = d.health === 'warning' ? '2' : 'N/A';
    lines.push(
      `| ${pad(d.index, 5)} /   ${pad(d.model, 13)}${lpad(d.firmware, 6)} | ${lpad(d.busId.toUpperCase(), 20)} | ${pad(util, 18)}${lpad(ecc, 3)} |`,
      `|  0%   ${pad(`${fix(r.temperatureC, 0)}C`, 4)}${lpad(`${fix(r.powerW, 0)} W/ ${fix(r.powerLimitW, 0)} W`, 19)} | ${lpad(`${r.memoryUsedMib} MiB/ ${d.memoryMib} MiB`, 20)} | N/A           Default |`,
      rule,
    );
  }
  return { stdout: lines.join('\n') + '\n' };
}

// ---- AMD and Hygon (rocm-smi is shipped by both) ----
function rocmSmi(args, all) {
  const cards = all.filter((d) => d.vendor === 'amd' || d.vendor === 'hygon');
  if (!args.includes('--json')) {
    const lines = ['============System Management Interface ============', '====================================================', 'DCU  Temp   AvgPwr  Fan   Perf  PwrCap  VRAM%  DCU%'];
    cards.forEach((d, i) => {
      const r = d.readings;
      lines.push(`${pad(i, 5)}${pad(`${fix(r.temperatureC, 1)}c`, 7)}${pad(`${fix(r.powerW, 1)}W`, 8)}0.0%  auto  ${pad(`${fix(r.powerLimitW, 1)}W`, 8)}${lpad(`${Math.round((r.memoryUsedMib / d.memoryMib) * 100)}%`, 4)}${lpad(`${r.utilPct}%`, 5)}`);
    });
    lines.push('====================================================', '===================End of SMI Log===================');
    return { stdout: lines.join('\n') + '\n' };
  }
  const doc = {};
  cards.forEach((d, i) => {
    const card =
      d.vendor === 'amd'
        ? {
            'Device Name': d.model,
            'Device ID': `0x${d.pciDevice}`,
            'Unique ID': `0x${(0x5c88007d760374f3n + BigInt(i)).toString(16)}`,
            'Serial Number': d.serial,
            'VRAM Total Memory (B)': String(d.memoryMib * 1048576),
            'VRAM Total Used Memory (B)': String(d.readings.memoryUsedMib * 1048576),
            'Card Series': d.model,
            'Card Vendor': 'Advanced Micro Devices, Inc. [AMD/ATI]',
          }
        : {
            'Device ID': `0x${d.pciDevice}`,
            'Card Series': d.model,
            'Card Vendor': 'Chengdu Haiguang IC Design Co., Ltd.',
            'Serial Number': d.serial,
            'Unique ID': (0x7100fa8866904061n + BigInt(i)).toString(16),
            'vram Total Memory (MiB)': String(d.memoryMib),
            'vram Total Used Memory (MiB)': String(d.readings.memoryUsedMib),
          };
    const r = d.readings;
    const use = d.vendor === 'amd' ? 'GPU use (%)' : 'DCU use (%)';
    if (args.includes('--showuse')) card[use] = String(r.utilPct);
    if (args.includes('--showtemp')) card['Temperature (Sensor edge) (C)'] = fix(r.temperatureC, 1);
    if (args.includes('--showpower')) card['Average Graphics Package Power (W)'] = fix(r.powerW, 1);
    if (args.includes('--showmaxpower')) card['Max Graphics Package Power (W)'] = fix(r.powerLimitW, 1);
    if (args.includes('--showbus')) card['PCI Bus'] = d.busId;
    doc[`card${i}`] = card;
  });
  if (args.includes('--showdriverversion') && cards[0]) doc.system = { 'Driver version': cards[0].driver };
  return { stdout: JSON.stringify(doc, null, 4) + '\n' };
}

function amdSmi(args, all) {
  if (args[0] !== 'static') return { stderr: 'usage: amd-smi [-h] ...\n', code: 2 };
  if (args.includes('--json')) return { stdout: JSON.stringify({ gpu_data: of(all, 'amd').map(amdSmiStaticJson) }, null, 4) + '\n' };
  return {
    stdout: of(all, 'amd')
      .map((d) =>
        [
          `GPU: ${d.index}`,
          '    ASIC:',
          `        MARKET_NAME: ${d.model}`,
          '        VENDOR_ID: 0x1002',
          '        VENDOR_NAME: Advanced Micro Devices Inc. [AMD/ATI]',
          '        SUBVENDOR_ID: 0x1002',
          `        DEVICE_ID: 0x${d.pciDevice}`,
          `        SUBSYSTEM_ID: 0x${d.pciDevice}`,
          '        REV_ID: 0x00',
          `        ASIC_SERIAL: ${d.serial}`,
          `        OAM_ID: ${d.index}`,
          '        NUM_COMPUTE_UNITS: 304',
          '        TARGET_GRAPHICS_VERSION: gfx942',
          '',
        ].join('\n'),
      )
      .join('\n'),
  };
}

// One GPU of `amd-smi static --asic --bus --vram --json` (ROCm 6.3+ shape), as in the real capture.
function amdSmiStaticJson(d) {
  return {
    gpu: d.index,
    asic: { market_name: d.model, vendor_id: '0x1002', vendor_name: 'Advanced Micro Devices Inc. [AMD/ATI]', device_id: `0x${d.pciDevice}`, asic_serial: d.serial, oam_id: d.index },
    bus: { bdf: d.busId, max_pcie_width: 16, max_pcie_speed: { value: 32, unit: 'GT/s' }, pcie_interface_version: 'Gen 5', slot_type: 'OAM' },
    vram: { type: 'HBM3', vendor: 'HYNIX', size: { value: d.memoryMib, unit: 'MB' } },
  };
}

function hySmi(args, all) {
  const dcus = of(all, 'hygon');
  if (args.includes('--json')) return { stdout: JSON.stringify(Object.fromEntries(dcus.map((d) => [`card${d.index}`, hySmiCardJson(d, args)])), null, 4) + '\n' };
  if (args.includes('--showmeminfo')) {
    return { stdout: dcus.map((d) => `HCU[${d.index}]          : vram Total Memory (MiB): ${d.memoryMib}\nHCU[${d.index}]          : vram Total Used Memory (MiB): ${d.readings.memoryUsedMib}\n`).join('') };
  }
  const lines = ['HCU     Temp     AvgPwr     Perf     PwrCap     VRAM%      HCU%      Mode'];
  for (const d of dcus) {
    const r = d.readings;
    const vram = `${Math.round((r.memoryUsedMib / d.memoryMib) * 100)}%`;
    lines.push(`${pad(d.index, 8)}${pad(`${fix(r.temperatureC, 1)}C`, 9)}${pad(`${fix(r.powerW, 1)}W`, 11)}auto     ${pad(`${fix(r.powerLimitW, 1)}W`, 11)}${pad(vram, 11)}${pad(`${fix(r.utilPct, 1)}%`, 10)}${d.health === 'ok' ? 'Normal' : 'Abnormal'}`);
  }
  return { stdout: lines.join('\n') + '\n' };
}

// The DTK rocm-smi JSON keys hy-smi prints; its "PCI Bus" carries the serial, as real hy-smi --showbus does.
function hySmiCardJson(d, args) {
  const card = {};
  if (args.includes('--showproductname')) Object.assign(card, { 'Card Series': d.model, 'Card Model': `0x${d.pciDevice}`, 'Card Vendor': 'Chengdu Haiguang IC Design Co., Ltd.', 'Card SKU': d.model });
  if (args.includes('--showbus')) card['PCI Bus'] = `${d.busId} --> SN: ${d.serial}`;
  return card;
}

// ---- Intel or Kunlunxin: both ship `xpu-smi` ----
function xpuSmi(args, all, scenario) {
  const flavour = scenario.xpuSmi ?? (of(all, 'kunlunxin').length ? 'kunlunxin' : 'intel');
  return flavour === 'intel' ? intelXpuSmi(args, all) : kunlunXpuSmi(args, all);
}

function intelXpuSmi(args, all) {
  const gpus = of(all, 'intel');
  if (args[0] === 'dump') return intelDump(args, gpus);
  if (args[0] !== 'discovery') return { stdout: `The following argument was not expected: ${args[0] ?? ''}\nRun with --help for more information.\n`, code: 106 };
  if (args.includes('-d')) return intelDiscoveryDetail(gpus, args[args.indexOf('-d') + 1]);
  if (args.includes('-j')) {
    const list = gpus.map((d) => ({
      device_id: d.index,
      device_name: d.model,
      device_type: 'GPU',
      pci_bdf_address: d.busId,
      pci_device_id: `0x${d.pciDevice.replace(/^0+/, '')}`,
      uuid: `00000000-0000-0000-0000-${d.pciDevice}0000${d.index}8086`.slice(0, 36),
      vendor_name: 'Intel(R) Corporation',
    }));
    return { stdout: JSON.stringify({ device_list: list }, null, 4) + '\n' };
  }
  const rule = '+-----------+--------------------------------------------------------------------------------------+';
  const lines = [rule, '| Device ID | Device Information                                                                   |', rule];
  for (const d of gpus) {
    const info = [`Device Name: ${d.model}`, 'Vendor Name: Intel(R) Corporation', `PCI BDF Address: ${d.busId}`, 'Function Type: physical'];
    info.forEach((t, i) => lines.push(`| ${pad(i === 0 ? d.index : '', 10)}| ${pad(t, 85)}|`));
    lines.push(rule);
  }
  return { stdout: lines.join('\n') + '\n' };
}

// Names as `xpu-smi dump -h` lists them (intel/xpumanager doc/smi_user_guide.md).
const INTEL_DUMP_METRICS = {
  0: ['GPU Utilization (%)', (r) => fix(r.utilPct, 2, '')],
  1: ['GPU Power (W)', (r) => fix(r.powerW, 2, '')],
  2: ['GPU Frequency (MHz)', () => '1400'],
  3: ['GPU Core Temperature (Celsius Degree)', (r) => fix(r.temperatureC, 2, '')],
  18: ['GPU Memory Used (MiB)', (r) => fix(r.memoryUsedMib, 2, '')],
};

function intelDump(args, gpus) {
  const opt = (name) => args[args.indexOf(name) + 1] ?? '';
  const metrics = opt('-m').split(',').map(Number);
  const bad = metrics.find((m) => !(m in INTEL_DUMP_METRICS));
  if (bad !== undefined) return { stderr: `Invalid metric type: ${bad}\n`, code: 1 };
  const ids = opt('-d') === '-1' ? gpus.map((d) => d.index) : opt('-d').split(',').map(Number);
  const lines = [['Timestamp', 'DeviceId', ...metrics.map((m) => INTEL_DUMP_METRICS[m][0])].join(', ')];
  for (const d of gpus.filter((g) => ids.includes(g.index))) {
    lines.push(['06:14:46.000', lpad(d.index, 5), ...metrics.map((m) => lpad(INTEL_DUMP_METRICS[m][1](d.readings), 6))].join(','));
  }
  return { stdout: lines.join('\n') + '\n' };
}

// `xpu-smi discovery -d N`: the rows of the real capture that detection reads.
function intelDiscoveryDetail(gpus, id) {
  const d = gpus.find((g) => String(g.index) === id || g.busId === id);
  if (!d) return { stdout: 'Error: Device not found\n', code: 1 };
  const rule = '+-----------+--------------------------------------------------------------------------------------+';
  const rows = ['Device Type: GPU', `Device Name: ${d.model}`, 'Vendor Name: Intel(R) Corporation', `Driver Version: ${d.driver}`, `PCI BDF Address: ${d.busId}`, `Memory Physical Size: ${d.memoryMib}.00 MiB`];
  const lines = [rule, '| Device ID | Device Information                                                                   |', rule];
  rows.forEach((t, i) => lines.push(`| ${pad(i === 0 ? d.index : '', 10)}| ${pad(t, 85)}|`));
  lines.push(rule);
  return { stdout: lines.join('\n') + '\n' };
}

function kunlunXpuSmi(args, all) {
  const xpus = of(all, 'kunlunxin');
  const driver = xpus[0]?.driver ?? '5.0.21.26';
  if (args[0] === '-q') {
    const out = ['==============XPUSMI LOG==============', '', 'Timestamp                                 : Tue Feb  3 18:20:01 2026', `Driver Version                            : ${driver}`, 'XPU-RT Version                            : 10.2', '', `Attached XPUs                             : ${xpus.length}`];
    for (const d of xpus) {
      const bus = shortBus(d.busId);
      out.push(
        `XPU ${bus}`,
        `    Product Name                          : ${d.model}`,
        '    Product Brand                         : KUNLUNXIN',
        '    Product Architecture                  : KL3',
        `    Serial Number                         : ${d.serial}`,
        `    XPU UUID                              : ${d.uuid}`,
        `    Minor Number                          : ${d.index}`,
        '    Firmware Version',
        `        ALL Version                       : ${d.firmware}`,
        '    PCI',
        `        Device Id                         : 0x${d.pciDevice}${d.pciVendor}`,
        `        Bus Id                            : ${bus}`,
        '    Memory Usage',
        `        Total                             : ${d.memoryMib} MiB`,
        `        Used                              : ${d.readings.memoryUsedMib} MiB`,
        '    Utilization',
        `        Xpu                               : ${d.readings.utilPct} %`,
        '    ECC Errors',
        '        Volatile',
        '            DRAM Correctable              : 0',
        `            DRAM Uncorrectable            : ${d.health === 'ok' ? 0 : 2}`,
        '        Aggregate',
        '            DRAM Correctable              : 0',
        '            DRAM Uncorrectable            : 0',
        '    Temperature',
        `        XPU Current Temp                  : ${fix(d.readings.temperatureC, 0)} C`,
        '    Power Readings',
        `        Enforced Power Limit              : ${fix(d.readings.powerLimitW, 2)} W`,
        `        Power Draw                        : ${fix(d.readings.powerW, 2)} W`,
        '    Processes                             : None',
      );
    }
    return { stdout: out.join('\n') + '\n' };
  }
  if (args.length) return { stderr: `Invalid argument: ${args[0]}\n`, code: 1 };
  const rule = '+-------------------------------+----------------------+----------------------+';
  const lines = ['Thu Sep 10 08:18:37 2026       ', '+-----------------------------------------------------------------------------+', `| XPU-SMI               Driver Version: ${pad(driver, 12)} XPU-RT Version: 5.19.0   |`, '|-------------------------------+----------------------+----------------------+', '|===============================+======================+======================|'];
  for (const d of xpus) {
    lines.push(
      `| ${lpad(d.index, 3)}  ${pad(d.model, 18)}N/A   | ${shortBus(d.busId).toUpperCase()} N/A | ${lpad(d.health === 'ok' ? 0 : 2, 20)} |`,
      `| N/A   ${pad(`${fix(d.readings.temperatureC, 0)}C`, 3)}  N/A${lpad(`${fix(d.readings.powerW, 0)}W / ${fix(d.readings.powerLimitW, 0)}W`, 15)} | ${lpad(`${d.readings.memoryUsedMib}MiB / ${d.memoryMib}MiB`, 20)} | ${lpad(`${d.readings.utilPct}%`, 7)}      Default |`,
      rule,
    );
  }
  return { stdout: lines.join('\n') + '\n' };
}

function kunlunLegacy(args, all) {
  const xpus = of(all, 'kunlunxin');
  const lines = ['Runtime Version: 4.31', `Driver Version: ${xpus[0]?.driver ?? '4.0'}`, '  DEVICES', '-'.repeat(91), '| DevID |   PCI Addr   | Model |   SN   |    INODE   | UseRate |    L3     |    Memory    |', '-'.repeat(91)];
  for (const d of xpus) lines.push(`| ${lpad(d.index, 5)} | ${d.busId.toUpperCase()} | ${pad(d.model, 5)} | 02Kxxx | /dev/xpu${d.index}  | ${lpad(d.readings.utilPct, 5)} % | 0 / 63 MB | ${d.readings.memoryUsedMib} / ${d.memoryMib} MB |`);
  lines.push('-'.repeat(91), '  VIDEO', '-'.repeat(83));
  return { stdout: lines.join('\n') + '\n' };
}

// ---- Iluvatar, MetaX, Moore Threads, Enflame ----
function ixsmi(args, all) {
  const gpus = of(all, 'iluvatar');
  const rule = '+-------------------------------+----------------------+----------------------+';
  const lines = ['+-----------------------------------------------------------------------------+', `|  IX-ML: 4.0.0       Driver Version: ${pad(gpus[0]?.driver ?? '4.1.0', 12)}CUDA Version: N/A           |`, '|-------------------------------+----------------------+----------------------|', '| GPU  Name                     | Bus-Id               | Clock-SM  Clock-Mem  |', '| Fan  Temp  Perf  Pwr:Usage/Cap|      Memory-Usage    | GPU-Util  Compute M. |', '|===============================+======================+======================|'];
  for (const d of gpus) {
    lines.push(
      `| ${pad(d.index, 4)} ${pad(d.model, 24)} | ${pad(shortBus(d.busId).toUpperCase(), 20)} | 500MHz    1600MHz    |`,
      `| 0%   ${pad(`${fix(d.readings.temperatureC, 0)}C`, 4)}  P0    ${pad(`${d.readings.powerW === undefined ? 'N/A' : `${fix(d.readings.powerW, 0)}W`} / ${d.readings.powerLimitW === undefined ? 'N/A' : `${fix(d.readings.powerLimitW, 0)}W`}`, 13)}| ${pad(`${d.readings.memoryUsedMib}MiB / ${d.memoryMib}MiB`, 20)} | ${pad(d.health === 'error' ? 'ERR!' : `${d.readings.utilPct}%`, 9)} Default    |`,
      rule,
    );
  }
  return { stdout: lines.join('\n') + '\n' };
}

function mxSmi(args, all) {
  const gpus = of(all, 'metax');
  const rule = '+------------------------------------+---------------------+----------------------+';
  const lines = ['=================== MetaX System Management Interface Log ===================', 'Timestamp                                         : Sat Feb 15 16:17:48 2025', '', `Attached GPUs                                     : ${gpus.length}`, '+---------------------------------------------------------------------------------+', `| MX-SMI 2.1.6                        Kernel Mode Driver Version: ${pad(gpus[0]?.driver ?? '2.5.014', 16)}|`, `| MACA Version: 2.23.0.1018           BIOS Version: ${pad(gpus[0]?.firmware ?? '1.13.5.0', 30)}|`, '|------------------------------------+---------------------+----------------------+', '| GPU         NAME                   | Bus-id              | GPU-Util             |', '| Temp        Power                  | Memory-Usage        |                      |', '|====================================+=====================+======================|'];
  for (const d of gpus) {
    lines.push(
      `| ${pad(d.index, 11)} ${pad(d.model, 22)} | ${pad(d.busId, 19)} | ${pad(d.health === 'error' ? 'ERR!' : `${d.readings.utilPct}%`, 20)} |`,
      `| ${pad(`${fix(d.readings.temperatureC, 0)}C`, 11)} ${pad(`${fix(d.readings.powerW, 0)}W`, 22)} | ${pad(`${d.readings.memoryUsedMib}/${d.memoryMib} MiB`, 19)} |                      |`,
      rule,
    );
  }
  return { stdout: lines.join('\n') + '\n' };
}

function mthreadsGmi(args, all) {
  const gpus = of(all, 'mthreads');
  const lines = ['Tue Nov 12 20:55:00 2024', '---------------------------------------------------------------', `    mthreads-gmi:1.12.2          Driver Version:${gpus[0]?.driver ?? '1.2.0'}`, '---------------------------------------------------------------', 'ID   Name           |PCIe                |%GPU  Mem', '     Device Type    |Pcie Lane Width     |Temp  MPC Capable', '                                         |      ECC Mode', '+-------------------------------------------------------------+'];
  for (const d of gpus) {
    const used = d.health === 'warning' ? d.memoryMib + 11534 : d.readings.memoryUsedMib;
    lines.push(`${pad(d.index, 5)}${pad(d.model, 15)}|${pad(shortBus(d.busId), 20)}|${pad(d.health === 'error' ? 'ERR!' : `${d.readings.utilPct}%`, 6)}${used}MiB(${d.memoryMib}MiB)`, `     Physical       |16x(16x)            |${pad(`${fix(d.readings.temperatureC, 0)}C`, 6)}YES`, '                                         |      N/A', '');
  }
  return { stdout: lines.join('\n') + '\n' };
}

function efsmi(args, all) {
  const gcus = of(all, 'enflame');
  const driver = gcus[0]?.driver ?? '1.2.0.301';
  const lines = ['-'.repeat(76), '------------------- Enflame System Management Interface --------------------', '---------- Enflame Tech, All Rights Reserved. 2024 Copyright (C) -----------', '-'.repeat(76), '', '+2024-12-06, 11:33:56 CST--------------------------------------------------+', `|EFSMI    V${pad(driver, 16)}Driver Ver: ${pad(driver, 36)}|`, `|${'-'.repeat(74)}|`, `|${'-'.repeat(74)}|`, '| DEV    NAME                | FW VER          | BUS-ID      ECC           |', '| TEMP   Dpm   Pwr(Usage/Cap)| Mem     GCU Virt| DUsed       SN            |', `|${'-'.repeat(74)}|`];
  for (const d of gcus) {
    lines.push(
      `| ${pad(d.index, 6)} ${pad(d.model, 19)} | ${pad(d.firmware, 15)} | ${pad(d.busId.slice(2), 11)} ${pad(d.health === 'error' ? 'ERR' : 'Enable', 13)} |`,
      `| ${pad(`${fix(d.readings.temperatureC, 0)} C`, 6)} Sleep ${lpad(`${fix(d.readings.powerW, 0)}W`, 7)} ${lpad(`${fix(d.readings.powerLimitW, 0)}W`, 5)} | ${pad(`${d.memoryMib}MiB`, 8)} Disable| ${lpad(`${fix(d.readings.utilPct, 1)}%`, 6)}      ${pad(d.serial, 13)} |`,
      `+${'-'.repeat(74)}+`,
      `|${'-'.repeat(74)}|`,
    );
  }
  return { stdout: lines.join('\n') + '\n' };
}
