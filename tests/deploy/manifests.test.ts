// What can be checked without a Docker engine or a cluster: Kubernetes manifests against the
// Kubernetes OpenAPI schemas (kubernetes-models), Dockerfiles with dockerfile-utils' linter, the
// compose file's wiring, and the orchestrator's systemd unit with systemd-analyze.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { defaultAgentConfig } from '../../agent/config.ts';
import { DEFAULT_PROBE_PORT } from '../../protocol/probe-datagram.ts';

const DEPLOY = join(import.meta.dirname, '../../deploy');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [k: string]: unknown;
}

function manifests(): { file: string; obj: K8sObject }[] {
  const dir = join(DEPLOY, 'k8s');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => ({ file, obj: d.toJS() as K8sObject })));
}

/** The kubernetes-models class for an object, e.g. apps/v1 DaemonSet. */
async function validateK8s(obj: K8sObject): Promise<void> {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion : `v1`;
  const mod = (await import(`kubernetes-models/${group}/${obj.kind}`)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

describe('Kubernetes manifests', () => {
  const all = manifests();

  it('hold the agent DaemonSet, the orchestrator Deployment and its Service', () => {
    expect(all.map((m) => `${m.obj.kind}/${m.obj.metadata.name}`).sort()).toEqual(
      expect.arrayContaining(['DaemonSet/banyan-agent', 'Deployment/banyan-orchestrator', 'Service/banyan-orchestrator']),
    );
  });

  it.each(manifests().map((m) => [`${m.file}: ${m.obj.kind}/${m.obj.metadata.name}`, m.obj] as const))('%s validates against the Kubernetes schema', async (_n, obj) => {
    await expect(validateK8s(obj)).resolves.toBeUndefined();
  });

  it('the schema check catches a wrong type and a missing required field', async () => {
    const deploy = structuredClone(all.find((m) => m.obj.kind === 'Deployment')!.obj) as K8sObject & { spec: { replicas: unknown; selector?: unknown } };
    deploy.spec.replicas = 'one';
    await expect(validateK8s(deploy)).rejects.toThrow(/replicas/);
    const ds = structuredClone(all.find((m) => m.obj.kind === 'DaemonSet')!.obj) as K8sObject & { spec: { selector?: unknown } };
    delete ds.spec.selector;
    await expect(validateK8s(ds)).rejects.toThrow(/selector/);
  });

  it('gives the agent the host devices, and the orchestrator no privileges', () => {
    const ds = all.find((m) => m.obj.kind === 'DaemonSet')!.obj as unknown as DaemonSetLike;
    const agent = ds.spec.template.spec.containers[0]!;
    expect(ds.spec.template.spec.volumes.find((v) => v.hostPath?.path === '/dev')).toBeTruthy();
    expect(agent.securityContext.privileged).toBe(true);
    expect(agent.env.find((e) => e.name === 'BANYAN_NODE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    const dep = all.find((m) => m.obj.kind === 'Deployment')!.obj as unknown as DaemonSetLike;
    const orch = dep.spec.template.spec.containers[0]!;
    expect(orch.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });
});

interface DaemonSetLike {
  spec: {
    template: {
      spec: {
        volumes: { hostPath?: { path: string } }[];
        containers: {
          securityContext: Record<string, unknown>;
          env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
          ports?: { name?: string; containerPort: number; hostPort?: number; protocol?: string }[];
        }[];
      };
    };
  };
}

describe('the peer-probe port', () => {
  it('is the agent default, and the deploy files open it as UDP', () => {
    expect(defaultAgentConfig().probePort).toBe(DEFAULT_PROBE_PORT);
    expect(DEFAULT_PROBE_PORT).toBe(7947);
    const ds = manifests().find((m) => m.obj.kind === 'DaemonSet')!.obj as unknown as DaemonSetLike;
    const agent = ds.spec.template.spec.containers[0]!;
    expect(agent.ports).toContainEqual({ name: 'probe', containerPort: DEFAULT_PROBE_PORT, hostPort: DEFAULT_PROBE_PORT, protocol: 'UDP' });
    // Peers reach the pod at the node's address, so that is what the birth advertises.
    expect(agent.env.find((e) => e.name === 'HOST_IP')?.valueFrom?.fieldRef?.fieldPath).toBe('status.hostIP');
    expect(agent.env.find((e) => e.name === 'BANYAN_PROBE_ADVERTISE')?.value).toBe(`$(HOST_IP):${DEFAULT_PROBE_PORT}`);
    const names = agent.env.map((e) => e.name);
    expect(names.indexOf('HOST_IP')).toBeLessThan(names.indexOf('BANYAN_PROBE_ADVERTISE'));
    expect(readFileSync(join(DEPLOY, 'docker/Dockerfile.agent'), 'utf8')).toMatch(new RegExp(`^EXPOSE ${DEFAULT_PROBE_PORT}/udp$`, 'm'));
    const c = parse(readFileSync(join(DEPLOY, 'docker/compose.yaml'), 'utf8')) as { services: { agent: { ports: string[]; environment: Record<string, string> } } };
    expect(c.services.agent.ports).toContain(`${DEFAULT_PROBE_PORT}:${DEFAULT_PROBE_PORT}/udp`);
    expect(Object.keys(c.services.agent.environment)).toContain('BANYAN_PROBE_ADVERTISE');
    const template = readFileSync(join(DEPLOY, 'agent.yaml.template'), 'utf8');
    for (const key of ['probeResponder', 'probeBindHost', 'probePort', 'probeAdvertise']) expect(template).toMatch(new RegExp(`^# ${key}: `, 'm'));
    expect(template).toContain(`# probePort: ${DEFAULT_PROBE_PORT}\n`);
    expect(readFileSync(join(DEPLOY, 'README.md'), 'utf8')).toMatch(new RegExp(`udp dport ${DEFAULT_PROBE_PORT} accept`));
  });
});

describe('Dockerfiles', () => {
  it.each(['Dockerfile.agent', 'Dockerfile.orchestrator'])('%s lints clean, runs as a non-root user, and copies what exists', (name) => {
    const text = readFileSync(join(DEPLOY, 'docker', name), 'utf8');
    const problems = lintDockerfile(text).map((d) => `${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
    expect(text).toMatch(/^USER banyan$/m);
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) expect(existsSync(join(DEPLOY, '..', src)), `${name} copies ${src}`).toBe(true);
    }
  });

  it('the linter does flag a broken Dockerfile', () => {
    expect(lintDockerfile('FROM\nRUN\nEXPOSE notaport\n').length).toBeGreaterThan(0);
  });
});

describe('compose file', () => {
  it('wires the orchestrator and an agent to a TLS Mosquitto with files from banyan creds', () => {
    const c = parse(readFileSync(join(DEPLOY, 'docker/compose.yaml'), 'utf8')) as {
      services: Record<string, { command?: string[]; build?: { dockerfile: string }; secrets?: unknown[]; depends_on?: string[] }>;
    };
    expect(Object.keys(c.services).sort()).toEqual(['agent', 'mosquitto', 'orchestrator']);
    expect(c.services.mosquitto!.command).toContain('/mosquitto/broker/mosquitto.conf');
    for (const s of ['agent', 'orchestrator']) {
      expect(existsSync(join(DEPLOY, '..', c.services[s]!.build!.dockerfile))).toBe(true);
      expect(c.services[s]!.depends_on).toContain('mosquitto');
    }
  });
});

describe('orchestrator systemd unit', () => {
  it('passes systemd-analyze verify with no complaint', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(DEPLOY, 'systemd/banyan-orchestrator.service')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('banyan-orchestrator.service'))).toEqual([]);
  });

  it('has a low exposure score in systemd-analyze security', () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', join(DEPLOY, 'systemd/banyan-orchestrator.service')], { encoding: 'utf8' });
    const score = Number(/exposure level for \S+: ([\d.]+)/.exec(out)?.[1]);
    expect(score).toBeLessThanOrEqual(3);
  });
});
