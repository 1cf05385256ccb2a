// Runs a workload in a container through the docker or podman CLI, with the vendor's device
// flags. The CLI runs attached in its own process group: it forwards SIGTERM to the container
// (sig-proxy) and its exit code is the container's.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { VendorId } from '../../protocol/vendors.ts';
import { failedHandle, spawnGroup } from './process-runner.ts';
import type { LaunchContext, RunHandle, Runner, ExecSpec } from './types.ts';
import { visibilityEnv } from './visibility.ts';

export type ContainerRuntimeName = 'docker' | 'podman';

export interface ContainerRuntime {
  name: ContainerRuntimeName;
  path: string;
}

/** The first of docker, podman found executable on PATH (what `command -v` would answer). */
export function detectContainerRuntime(
  pathEnv: string = process.env.PATH ?? '',
  order: readonly ContainerRuntimeName[] = ['docker', 'podman'],
): ContainerRuntime | null {
  const dirs = pathEnv.split(delimiter).filter(Boolean);
  for (const name of order) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return { name, path };
      } catch {
        // not here; keep looking
      }
    }
  }
  return null;
}

interface DeviceFlags {
  flags: (indexes: readonly number[], runtime: ContainerRuntimeName) => string[];
  /** The flags pass only the assigned devices, which the container then numbers from 0, so
   *  the host-index visibility variable must not be set inside. */
  restrictsByNode: boolean;
}

const each = (indexes: readonly number[], node: (i: number) => string): string[] =>
  indexes.flatMap((i) => ['--device', node(i)]);
const rocm = (): string[] => ['--device', '/dev/kfd', '--device', '/dev/dri', '--group-add', 'video'];

// Device nodes as the vendors' container guides pass them to a plain docker/podman run.
export const CONTAINER_DEVICES: Record<VendorId, DeviceFlags> = {
  nvidia: {
    // docker: --gpus '"device=0,2"' (the quotes are part of the value); podman: CDI names.
    flags: (ix, rt) =>
      rt === 'docker' ? ['--gpus', `"device=${ix.join(',')}"`] : each(ix, (i) => `nvidia.com/gpu=${i}`),
    restrictsByNode: true,
  },
  amd: { flags: rocm, restrictsByNode: false },
  hygon: { flags: rocm, restrictsByNode: false },
  intel: { flags: () => ['--device', '/dev/dri'], restrictsByNode: false },
  huawei: {
    flags: (ix) => [
      ...each(ix, (i) => `/dev/davinci${i}`),
      '--device', '/dev/davinci_manager',
      '--device', '/dev/devmm_svm',
      '--device', '/dev/hisi_hdc',
      '-v', '/usr/local/Ascend/driver:/usr/local/Ascend/driver:ro',
      '-v', '/usr/local/dcmi:/usr/local/dcmi:ro',
      '-v', '/usr/local/bin/npu-smi:/usr/local/bin/npu-smi:ro',
    ],
    restrictsByNode: true,
  },
  cambricon: {
    flags: (ix) => [...each(ix, (i) => `/dev/cambricon_dev${i}`), '--device', '/dev/cambricon_ctl'],
    restrictsByNode: true,
  },
  kunlunxin: {
    flags: (ix) => [...each(ix, (i) => `/dev/xpu${i}`), '--device', '/dev/xpuctrl'],
    restrictsByNode: true,
  },
  iluvatar: { flags: (ix) => each(ix, (i) => `/dev/iluvatar${i}`), restrictsByNode: true },
  metax: {
    flags: () => ['--device', '/dev/dri', '--device', '/dev/mxcd', '--group-add', 'video'],
    restrictsByNode: false,
  },
  mthreads: {
    flags: (ix) => [...each(ix, (i) => `/dev/mtgpu.${i}`), '--device', '/dev/dri', '--group-add', 'video'],
    restrictsByNode: true,
  },
  enflame: { flags: () => ['--device', '/dev/gcu'], restrictsByNode: false },
  biren: { flags: () => ['--device', '/dev/biren'], restrictsByNode: false },
};

export function containerName(workloadId: string): string {
  return `banyan-${workloadId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** The argv after the runtime's name, for `docker|podman <args>`. Pure, so it is testable. */
export function buildContainerArgs(
  runtime: ContainerRuntimeName,
  spec: ExecSpec,
  acceleratorIndexes: readonly number[],
  workloadId: string,
): string[] {
  const args = ['run', '--rm', '--name', containerName(workloadId), '--label', `banyan.workload=${workloadId}`];
  const env: Record<string, string> = { ...spec.env };
  if (spec.vendor !== '' && acceleratorIndexes.length > 0) {
    const devices = CONTAINER_DEVICES[spec.vendor];
    args.push(...devices.flags(acceleratorIndexes, runtime));
    if (!devices.restrictsByNode) Object.assign(env, visibilityEnv(spec.vendor, acceleratorIndexes));
  }
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  if (spec.cwd) args.push('-w', spec.cwd);
  args.push(spec.image);
  if (spec.command) args.push(spec.command);
  args.push(...spec.args);
  return args;
}

export class ContainerRunner implements Runner {
  constructor(
    private readonly pathEnv: string = process.env.PATH ?? '',
    private readonly baseEnv: NodeJS.ProcessEnv = process.env,
  ) {}

  launch(spec: ExecSpec, ctx: LaunchContext): RunHandle {
    const runtime = detectContainerRuntime(this.pathEnv);
    if (!runtime) {
      return failedHandle(
        'no container runtime: neither docker nor podman is on PATH; install one, or run this workload with runner "process"',
      );
    }
    if (!spec.image) return failedHandle('the container spec has no image; set spec.image');
    const handle = spawnGroup(
      { command: runtime.path, args: buildContainerArgs(runtime.name, spec, ctx.acceleratorIndexes, ctx.workloadId), env: {}, cwd: '' },
      ctx.logPath,
      this.baseEnv,
    );
    return {
      ...handle,
      signal: (sig) => {
        handle.signal(sig);
        // A killed CLI leaves its container running; remove it through the runtime.
        if (sig === 'SIGKILL') removeContainer(runtime, ctx.workloadId, this.baseEnv);
      },
    };
  }
}

function removeContainer(runtime: ContainerRuntime, workloadId: string, env: NodeJS.ProcessEnv): void {
  const rm = spawn(runtime.path, ['rm', '-f', containerName(workloadId)], { env, stdio: 'ignore' });
  rm.on('error', () => {});
}
