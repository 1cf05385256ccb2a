// What can be checked without a Docker engine or a cluster: Kubernetes manifests against the
// Kubernetes OpenAPI schemas (kubernetes-models), Dockerfiles with dockerfile-utils' linter, the
// compose file's wiring, and the orchestrator's systemd unit with systemd-analyze.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { validate as lintDockerfile } from 'dockerfile-utils';

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
        containers: { securityContext: Record<string, unknown>; env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[];
      };
    };
  };
}

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
