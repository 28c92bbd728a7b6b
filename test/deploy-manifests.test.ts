// The deployment manifests, checked offline: every Kubernetes object of deploy/k8s against the
// Kubernetes (and KEDA) OpenAPI schemas that kubernetes-models bundles, then the references between
// them; docker-compose.yml parsed and held to what production needs (DESIGN.md, Delivery).
// The schemas do not reject unknown fields (Kubernetes' own do not either), so a misspelt optional
// field passes here; the cross-checks below cover the fields that matter.
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import {
  loadDashboardConfig,
  loadIngestConfig,
  loadWorkerConfig,
  roleHeapLimitBytes,
  type ConfigError,
} from '@commitlog/runtime';
import { makeTestCertificates } from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const k8sDir = `${root}deploy/k8s/`;

type Manifest = { apiVersion: string; kind: string; metadata: { name: string } } & Record<
  string,
  unknown
>;

/** One model class per kind we ship: `validate()` checks the object against its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/**
 * The example Secrets: out of deploy/k8s, so that `kubectl apply -f deploy/k8s/` (or a GitOps tool
 * syncing that folder) cannot replace the real Secrets with their placeholders.
 */
const secretExample = `${root}deploy/examples/secret.yaml`;

/** promtool's unit test of the workers' KEDA query, from the repository's root. */
const KEDA_QUERY_TEST = 'deploy/prometheus/worker-autoscaling.test.yml';

function loadManifests(): { file: string; object: Manifest }[] {
  return [
    ...readdirSync(k8sDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `${k8sDir}${f}`),
    secretExample,
  ].flatMap((path) =>
    parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
      const file = path.slice(root.length);
      expect(doc.errors, file).toEqual([]);
      return { file, object: doc.toJS() as Manifest };
    }),
  );
}

interface PodSpec {
  topologySpreadConstraints?: {
    topologyKey: string;
    labelSelector: { matchLabels: Record<string, string> };
  }[];
  securityContext?: { runAsUser?: number; fsGroup?: number };
  volumes?: {
    name: string;
    secret?: { secretName: string; optional?: boolean; defaultMode?: number };
  }[];
  containers: {
    name: string;
    envFrom?: { configMapRef?: { name: string } }[];
    env?: {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
    }[];
    volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
    ports?: { name: string; containerPort: number }[];
    readinessProbe?: { httpGet: { path: string; port: string }; timeoutSeconds?: number };
    livenessProbe?: { httpGet: { path: string; port: string } };
    resources?: { limits?: { memory?: string } };
  }[];
}

const podSpec = (d: Manifest): PodSpec =>
  (d as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const podLabels = (d: Manifest): Record<string, string> =>
  (d as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec
    .template.metadata.labels;
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** What the CLI that starts a role holds beside it, with room: measured ~75 MB. */
const WRAPPER_BYTES = 100 * 1024 * 1024;

describe('deploy/k8s', () => {
  const manifests = loadManifests();
  const byKind = (kind: string): Manifest[] =>
    manifests.filter((m) => m.object.kind === kind).map((m) => m.object);
  const secretData = (name: string): Record<string, string> => {
    const secret = byKind('Secret').find((m) => m.metadata.name === name);
    expect(secret, `Secret ${name}`).toBeDefined();
    return (secret as unknown as { stringData: Record<string, string> }).stringData;
  };

  it('holds only known kinds, each valid against its Kubernetes schema', () => {
    for (const { file, object } of manifests) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${file}: ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new Model!(object as never).validate(), `${file}: ${object.kind}`).not.toThrow();
    }
    expect(
      byKind('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['commitlog-dashboard', 'commitlog-ingest', 'commitlog-worker']);
  });

  it('applies no Secret with the folder: the examples, applied, would replace the real ones', () => {
    const applied = manifests.filter((m) => m.file.startsWith('deploy/k8s/'));
    expect(applied.filter((m) => m.object.kind === 'Secret').map((m) => m.file)).toEqual([]);
    expect(manifests.filter((m) => m.object.kind === 'Secret').map((m) => m.file)).toEqual([
      'deploy/examples/secret.yaml',
      'deploy/examples/secret.yaml',
    ]);
  });

  it('catches a wrong manifest (the check is not vacuous)', () => {
    const worker = structuredClone(byKind('Deployment')[0]!);
    (podSpec(worker).containers[0] as unknown as { image: number }).image = 42;
    expect(() => new Deployment(worker as never).validate()).toThrow(/image must be string/);
  });

  it('takes secrets from the Secret, settings from the ConfigMap, probes from named ports', () => {
    const secretKeys = new Set(Object.keys(secretData('commitlog')));
    const configMaps = new Set(byKind('ConfigMap').map((c) => c.metadata.name));
    for (const deployment of byKind('Deployment')) {
      for (const c of podSpec(deployment).containers) {
        const names = new Set((c.env ?? []).map((e) => e.name));
        expect(names.has('REDIS_URL'), `${deployment.metadata.name} REDIS_URL`).toBe(true);
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          expect(ref?.name ?? 'commitlog', e.name).toBe('commitlog');
          // An optional key (a Kafka login) may be missing from the example: most do without it.
          if (ref && !ref.optional) {
            expect(secretKeys.has(ref.key), `${ref.key} in the Secret`).toBe(true);
          }
          // Anything secret comes from the Secret, never a literal.
          if (/SECRET|PASSWORD|USERS|REDIS_URL/.test(e.name)) expect(ref, e.name).toBeDefined();
        }
        for (const from of c.envFrom ?? []) {
          expect(configMaps.has(from.configMapRef?.name ?? '')).toBe(true);
        }
        const ports = new Set((c.ports ?? []).map((p) => p.name));
        expect(ports.has(c.readinessProbe?.httpGet.port ?? '')).toBe(true);
        expect(ports.has(c.livenessProbe?.httpGet.port ?? '')).toBe(true);
      }
    }
  });

  it('takes the ingest and workers out of their Services while Redis is down, never the dashboard', () => {
    const readinessPath = (name: string) =>
      podSpec(byKind('Deployment').find((d) => d.metadata.name === name)!).containers[0]
        ?.readinessProbe?.httpGet.path;
    expect(readinessPath('commitlog-ingest')).toBe('/readyz');
    // The ingest is probed on its ops port (INGEST_OPS_PORT), outside INGEST_MAX_CONNECTIONS: a
    // surge of hook connections must not fail the probes of a healthy ingest.
    const ingest = podSpec(
      byKind('Deployment').find((d) => d.metadata.name === 'commitlog-ingest')!,
    ).containers[0]!;
    const opsPort = ingest.env?.find((e) => e.name === 'INGEST_OPS_PORT')?.value;
    const portNamed = (name: string | number | undefined) =>
      ingest.ports?.find((p) => p.name === name)?.containerPort;
    expect(opsPort).toBeDefined();
    expect(portNamed(ingest.readinessProbe?.httpGet.port)).toBe(Number(opsPort));
    expect(portNamed(ingest.livenessProbe?.httpGet.port)).toBe(Number(opsPort));
    expect(readinessPath('commitlog-worker')).toBe('/readyz');
    // Its pages say Redis is not answering; its /readyz says so by failing (start-dashboard.ts).
    expect(readinessPath('commitlog-dashboard')).toBe('/healthz');
  });

  it('waits for /readyz longer than it waits for Redis, and holds the heap each role may grow to', () => {
    for (const role of ['ingest', 'worker', 'dashboard'] as const) {
      const container = podSpec(
        byKind('Deployment').find((d) => d.metadata.name === `commitlog-${role}`)!,
      ).containers[0]!;
      // /readyz waits up to 2 s for Redis (ingest-readiness.ts, worker-readiness.ts); Kubernetes
      // gives up after timeoutSeconds (default 1).
      if (container.readinessProbe?.httpGet.path === '/readyz') {
        expect(container.readinessProbe.timeoutSeconds ?? 1, role).toBeGreaterThan(2);
      }
      const env = Object.fromEntries(
        (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
      );
      const limit = /^(\d+)Mi$/.exec(container.resources?.limits?.memory ?? '')?.[1];
      expect(limit, role).toBeDefined();
      // `commitlog <role>` stays beside the role in the pod (it loads no library for it:
      // role-wrapper-imports.test.ts).
      expect(Number(limit) * 1024 * 1024, role).toBeGreaterThan(
        roleHeapLimitBytes(role, env)! + WRAPPER_BYTES,
      );
    }
  });

  it('spreads the ingest and the workers over nodes, and lets a drain evict pods not ready', () => {
    for (const name of ['commitlog-ingest', 'commitlog-worker']) {
      const deployment = byKind('Deployment').find((d) => d.metadata.name === name)!;
      const spread = podSpec(deployment).topologySpreadConstraints ?? [];
      expect(
        spread.some(
          (c) =>
            c.topologyKey === 'kubernetes.io/hostname' &&
            selects(c.labelSelector.matchLabels, podLabels(deployment)),
        ),
        name,
      ).toBe(true);
    }
    // While Redis is away no pod is ready: the default policy would block every eviction.
    for (const budget of byKind('PodDisruptionBudget')) {
      const spec = (budget as unknown as { spec: { unhealthyPodEvictionPolicy?: string } }).spec;
      expect(spec.unhealthyPodEvictionPolicy, budget.metadata.name).toBe('AlwaysAllow');
    }
  });

  it("scales workers on a query promtool's test of it holds: each lane once, stale workers out", () => {
    const scaled = byKind('ScaledObject')[0] as unknown as {
      spec: { triggers: { metadata: { query: string } }[] };
    };
    const tested = parse(readFileSync(`${root}${KEDA_QUERY_TEST}`, 'utf8')) as {
      tests: { promql_expr_test: { expr: string }[] }[];
    };
    const oneLine = (q: string | undefined): string => (q ?? '').replace(/\s+/g, ' ').trim();
    expect(oneLine(scaled.spec.triggers[0]?.metadata.query)).toBe(
      oneLine(tested.tests[0]?.promql_expr_test[0]?.expr),
    );
    const run = spawnSync(process.env.PROMTOOL ?? 'promtool', ['test', 'rules', KEDA_QUERY_TEST], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.error, 'promtool could not run: `./commitlog test` installs it').toBeUndefined();
    expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it('points every Service, PodDisruptionBudget and ScaledObject at a Deployment', () => {
    const deployments = byKind('Deployment');
    const selectorOf = (m: Manifest): Record<string, string> => {
      const spec = (m as unknown as { spec: { selector: Record<string, unknown> } }).spec;
      return (spec.selector.matchLabels ?? spec.selector) as Record<string, string>;
    };
    for (const m of [...byKind('Service'), ...byKind('PodDisruptionBudget')]) {
      expect(
        deployments.some((d) => selects(selectorOf(m), podLabels(d))),
        `${m.kind} ${m.metadata.name}`,
      ).toBe(true);
    }
    expect(byKind('PodDisruptionBudget').map((p) => p.metadata.name)).toContain('commitlog-worker');
    const [scaled] = byKind('ScaledObject') as unknown as {
      spec: { scaleTargetRef: { name: string }; triggers: { metadata: { query: string } }[] };
    }[];
    expect(deployments.map((d) => d.metadata.name)).toContain(scaled?.spec.scaleTargetRef.name);
    expect(scaled?.spec.triggers[0]?.metadata.query).toContain('commitlog_lane_backlog_commits');
  });

  /** Where every role finds the TLS Secret's files. */
  const TLS_DIR = '/etc/commitlog/tls';

  it('mounts the TLS Secret in every role: optional, read-only, unreadable to other users', () => {
    for (const deployment of byKind('Deployment')) {
      const name = deployment.metadata.name;
      const spec = podSpec(deployment);
      const volume = (spec.volumes ?? []).find((v) => v.secret?.secretName === 'commitlog-tls');
      expect(volume?.secret?.optional, `${name}: a pod starts without the Secret`).toBe(true);
      // The files include private keys: no access for others; the pod's group (fsGroup) reads.
      expect((volume?.secret?.defaultMode ?? 0o644) & 0o007, name).toBe(0);
      expect(spec.securityContext?.fsGroup, name).toBeDefined();
      const mounts = spec.containers.flatMap((c) => c.volumeMounts ?? []);
      expect(
        mounts.filter((m) => m.name === volume?.name),
        name,
      ).toEqual([{ name: volume?.name, mountPath: TLS_DIR, readOnly: true }]);
    }
  });

  it("runs every role as the restricted Pod Security Standard asks, the worker's count left to KEDA", () => {
    for (const deployment of byKind('Deployment')) {
      const name = deployment.metadata.name ?? '';
      const pod = podSpec(deployment) as unknown as {
        automountServiceAccountToken?: boolean;
        securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
        containers: {
          securityContext?: {
            allowPrivilegeEscalation?: boolean;
            readOnlyRootFilesystem?: boolean;
            capabilities?: { drop?: string[] };
          };
        }[];
      };
      expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
      expect(pod.automountServiceAccountToken, name).toBe(false);
      expect(pod.securityContext?.seccompProfile?.type, name).toBe('RuntimeDefault');
      for (const container of pod.containers) {
        expect(container.securityContext, name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
    const worker = byKind('Deployment').find((d) => d.metadata.name === 'commitlog-worker');
    expect((worker as unknown as { spec: { replicas?: number } }).spec.replicas).toBeUndefined();
  });

  it('has every role scraped on the port that serves its /metrics', () => {
    // Every role on its ops port: the ingest's API port closes connections past
    // INGEST_MAX_CONNECTIONS, scrapes and probes among them.
    const metricsPort: Record<string, number> = {
      'commitlog-ingest': 8084,
      'commitlog-worker': 8082,
      'commitlog-dashboard': 8083,
    };
    for (const deployment of byKind('Deployment')) {
      const name = deployment.metadata.name ?? '';
      const annotations =
        (
          deployment as unknown as {
            spec: { template: { metadata: { annotations?: Record<string, string> } } };
          }
        ).spec.template.metadata.annotations ?? {};
      expect(annotations['prometheus.io/scrape'], name).toBe('true');
      expect(Number(annotations['prometheus.io/port']), name).toBe(metricsPort[name]);
      const ports = podSpec(deployment).containers.flatMap((c) =>
        (c.ports ?? []).map((p) => p.containerPort),
      );
      expect(ports, name).toContain(metricsPort[name]);
    }
  });

  it('lets each role take connections only on the ports it serves, and reach only DNS, Redis and (the worker) Kafka', () => {
    interface PolicyPort {
      protocol?: string;
      port: string | number;
    }
    interface Policy {
      metadata: { name: string };
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress?: { from?: unknown[]; ports?: PolicyPort[] }[];
        egress?: { to?: unknown[]; ports?: PolicyPort[] }[];
      };
    }
    const policies = byKind('NetworkPolicy') as unknown as Policy[];
    const configMap = (byKind('ConfigMap')[0] as unknown as { data: Record<string, string> }).data;
    const redisPort = Number(new URL(secretData('commitlog').REDIS_URL!).port);
    const kafkaPorts = configMap.KAFKA_BROKERS!.split(',').map((b) => Number(b.split(':')[1]));
    expect(redisPort).toBeGreaterThan(0);
    expect(kafkaPorts.every((p) => p > 0)).toBe(true);
    const tcp = (ports: PolicyPort[] | undefined, resolve: (p: PolicyPort) => number) =>
      (ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map(resolve);

    for (const deployment of byKind('Deployment')) {
      const name = deployment.metadata.name;
      const selecting = policies.filter((p) =>
        selects(p.spec.podSelector.matchLabels, podLabels(deployment)),
      );
      // Isolated both ways: what no policy allows is refused.
      for (const type of ['Ingress', 'Egress']) {
        expect(
          selecting.some((p) => p.spec.policyTypes.includes(type)),
          `${name} ${type}`,
        ).toBe(true);
      }
      const containerPorts = podSpec(deployment).containers.flatMap((c) => c.ports ?? []);
      const byName = (p: PolicyPort): number => {
        if (typeof p.port === 'number') return p.port;
        const found = containerPorts.find((c) => c.name === p.port);
        // A misspelt name would match no port, and block what it meant to allow.
        expect(found, `${name}: port ${p.port} of a policy`).toBeDefined();
        return found?.containerPort ?? -1;
      };
      const ingress = selecting.flatMap((p) => p.spec.ingress ?? []);
      const egress = selecting.flatMap((p) => p.spec.egress ?? []);
      // Every rule lists its ports, each one port: a rule without ports allows every port, and a
      // range (endPort) more than the checks below see.
      for (const rule of [...ingress, ...egress]) {
        expect(rule.ports?.length, `${name}: a rule without ports`).toBeGreaterThan(0);
        for (const port of rule.ports ?? []) expect(port, name).not.toHaveProperty('endPort');
      }
      // Every rule names who may connect: none is open to all.
      for (const rule of ingress) expect(rule.from?.length, name).toBeGreaterThan(0);
      // And every port the pod serves is reachable by someone: the hooks, Prometheus, operators.
      expect(new Set(ingress.flatMap((r) => tcp(r.ports, byName))), `${name} ingress`).toEqual(
        new Set(containerPorts.map((c) => c.containerPort)),
      );

      // By number: a named port in an egress rule names a port of the destination pods, which
      // Redis and Kafka outside the cluster do not have.
      const numbered = (p: PolicyPort): number => {
        expect(typeof p.port, `${name}: egress port ${p.port}`).toBe('number');
        return Number(p.port);
      };
      const out = new Set(egress.flatMap((r) => tcp(r.ports, numbered)));
      const dns = egress.flatMap((r) => r.ports ?? []).filter((p) => p.port === 53);
      expect(new Set(dns.map((p) => p.protocol)), `${name} DNS`).toEqual(new Set(['UDP', 'TCP']));
      const kafka = name === 'commitlog-worker' ? kafkaPorts : [];
      expect(out, `${name} egress`).toEqual(new Set([53, redisPort, ...kafka]));
    }
  });

  it('ships a Secret whose placeholders the ingest and the dashboard refuse at start-up', () => {
    const configMap = (byKind('ConfigMap')[0] as unknown as { data: Record<string, string> }).data;
    const env = { ...configMap, ...secretData('commitlog') };
    const refused = (load: () => unknown): string[] => {
      try {
        load();
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.variable);
      }
      return [];
    };
    expect(refused(() => loadIngestConfig(env))).toContain('INGEST_SECRETS');
    expect(refused(() => loadDashboardConfig(env))).toEqual(
      expect.arrayContaining(['DASHBOARD_USERS', 'DASHBOARD_SESSION_SECRET']),
    );
  });

  it("accepts the ConfigMap as shipped, and its TLS example uncommented with the TLS Secret's files", async () => {
    const configMap = (byKind('ConfigMap')[0] as unknown as { data: Record<string, string> }).data;
    // As shipped: no TLS, no Kafka login, and the TLS folder empty (the Secret is optional).
    const plain = { ...configMap, REDIS_URL: 'redis://:pw@redis:6379' };
    const empty = (path: string): never => {
      throw new Error(`ENOENT: ${path}`);
    };
    expect(loadWorkerConfig(plain, { readFile: empty }).kafka.ssl).toBe(false);

    // The commented lines after "Uncomment", as the operator would uncomment them.
    const text = readFileSync(`${k8sDir}configmap.yaml`, 'utf8');
    const example: Record<string, string> = {};
    for (const line of text.slice(text.indexOf('Uncomment')).split('\n')) {
      const setting = /^\s*#\s+([A-Z_]+): (.+)$/.exec(line);
      if (setting) example[setting[1]!] = String(parse(setting[2]!));
    }
    expect(Object.keys(example).sort()).toEqual([
      'KAFKA_SASL_MECHANISM',
      'KAFKA_SSL',
      'KAFKA_SSL_CA_FILE',
      'KAFKA_SSL_CERT_FILE',
      'KAFKA_SSL_KEY_FILE',
      'REDIS_TLS_CA_FILE',
      'REDIS_TLS_CERT_FILE',
      'REDIS_TLS_KEY_FILE',
    ]);

    // Each file it names is one the TLS Secret holds, in the folder every role mounts, read here
    // as a real PEM of its kind (the Secret's own values are placeholders).
    const dir = await mkdtemp(join(tmpdir(), 'commitlog-k8s-'));
    try {
      const certs = await makeTestCertificates(dir);
      const tlsFiles = secretData('commitlog-tls');
      const readFile = (path: string): string => {
        const file = path.startsWith(`${TLS_DIR}/`) ? path.slice(TLS_DIR.length + 1) : '';
        if (!(file in tlsFiles)) throw new Error(`ENOENT: ${path} (not a key of commitlog-tls)`);
        if (file.endsWith('.key')) return certs.client.key;
        return file.includes('-ca') ? certs.caPem : certs.client.cert;
      };
      // The worker's Kafka login comes from the Secret (optional keys).
      const workerEnv = new Set(
        podSpec(byKind('Deployment').find((d) => d.metadata.name === 'commitlog-worker')!)
          .containers.flatMap((c) => c.env ?? [])
          .filter((e) => e.valueFrom?.secretKeyRef?.optional)
          .map((e) => e.name),
      );
      expect([...workerEnv].sort()).toEqual(['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
      const env = {
        ...configMap,
        ...example,
        REDIS_URL: 'rediss://:pw@redis:6379',
        KAFKA_SASL_USERNAME: 'commitlog',
        KAFKA_SASL_PASSWORD: 'pw',
        INGEST_SECRETS: 'a'.repeat(64),
      };
      const worker = loadWorkerConfig(env, { readFile });
      const pem = (text: string | undefined): string | undefined => text?.trim();
      expect(worker.kafka).toMatchObject({
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'commitlog' },
      });
      expect(pem(worker.kafka.sslCa)).toBe(pem(certs.caPem));
      expect(pem(worker.kafka.sslClient?.cert)).toBe(pem(certs.client.cert));
      expect(pem(worker.kafka.sslClient?.key)).toBe(pem(certs.client.key));
      expect(pem(worker.redisTlsCa)).toBe(pem(certs.caPem));
      expect(pem(loadIngestConfig(env, { readFile }).redisTlsClient?.cert)).toBe(
        pem(certs.client.cert),
      );
      // The check can fail: a file the Secret does not hold is refused at start-up.
      const missing = { ...env, KAFKA_SSL_CA_FILE: `${TLS_DIR}/kafka-ca.crt` };
      expect(() => loadWorkerConfig(missing, { readFile })).toThrow(/KAFKA_SSL_CA_FILE/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        command?: string[];
        healthcheck?: { test: string[] };
        deploy?: { replicas?: number };
        environment?: Record<string, string>;
        restart?: string;
        volumes?: string[];
        stop_grace_period?: string;
      }
    >;
  };

  it('gives each role more time to stop than its SHUTDOWN_TIMEOUT', () => {
    const seconds = (value: string | undefined): number =>
      Number(/^(\d+)s$/.exec(value ?? '')?.[1]);
    // The defaults (compose sets none); the dashboard's is the ingest's setting.
    const ingest = loadIngestConfig({ INGEST_SECRETS: 'x'.repeat(32) }).shutdownTimeoutMs;
    const shutdownMs = {
      ingest,
      dashboard: ingest,
      worker: loadWorkerConfig({}).shutdownTimeoutMs,
    };
    for (const role of ['ingest', 'worker', 'dashboard'] as const) {
      const service = compose.services[role];
      expect(service?.environment?.SHUTDOWN_TIMEOUT, role).toBeUndefined();
      expect(seconds(service?.stop_grace_period) * 1000, role).toBeGreaterThan(shutdownMs[role]);
    }
  });

  it('runs Redis with AOF, a maxmemory, noeviction and a password, and Kafka in KRaft mode', () => {
    const redis = compose.services.redis?.command?.join(' ') ?? '';
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--appendfsync always');
    // The ingest keeps the last 5 % of maxmemory for the workers: without one it never stops.
    expect(redis).toContain('--maxmemory "$$REDIS_MAXMEMORY"');
    expect(compose.services.redis?.environment?.REDIS_MAXMEMORY).toMatch(
      /^\$\{REDIS_MAXMEMORY:-\d+gb\}$/,
    );
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(redis).toContain('--requirepass');
    // Its health check signs in without the password on a command line.
    const check = compose.services.redis?.healthcheck?.test.join(' ') ?? '';
    expect(check).toContain('REDISCLI_AUTH="$$REDIS_PASSWORD" redis-cli ping');
    expect(check).not.toMatch(/\s-a\s/);
    // Through the image's entrypoint, which drops root before it runs redis-server.
    expect(redis).toMatch(/exec docker-entrypoint\.sh redis-server /);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    // One broker, no replica: its ack must mean on disk, as Redis's does, or the worker removes
    // the job of a commit that a power loss then takes from Kafka.
    expect(compose.services.kafka?.environment?.KAFKA_LOG_FLUSH_INTERVAL_MESSAGES).toBe(1);
    expect(compose.services.ingest?.environment?.REDIS_URL).toMatch(
      /^redis:\/\/:\$\{REDIS_PASSWORD/,
    );
  });

  it('starts the ingest and the dashboard once Redis is healthy, the workers once Kafka is too', () => {
    const waitsFor = (name: string) =>
      Object.keys(
        (compose.services[name] as { depends_on?: Record<string, unknown> } | undefined)
          ?.depends_on ?? {},
      ).sort();
    expect(waitsFor('ingest')).toEqual(['redis']);
    expect(waitsFor('dashboard')).toEqual(['redis']);
    expect(waitsFor('worker')).toEqual(['kafka', 'redis']);
  });

  it('has the ingest, three workers and the dashboard, every service with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'dashboard',
      'ingest',
      'kafka',
      'redis',
      'worker',
    ]);
    expect(compose.services.worker?.deploy?.replicas).toBe(3);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
      expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('keeps Redis and Kafka data on their volumes', () => {
    const mounted = (service: string) =>
      (compose.services[service]?.volumes ?? []).map((v) => v.split(':')[1]);
    expect(mounted('redis')).toContain('/data');
    // The apache/kafka image writes under /tmp unless told: a recreated container lost it all.
    const logDirs = compose.services.kafka?.environment?.KAFKA_LOG_DIRS ?? '';
    expect(mounted('kafka')).toContain(logDirs);
  });

  it('probes each role on the port it listens on', () => {
    const probed = (service: string) =>
      /127\.0\.0\.1:(\d+)\/readyz/.exec(
        compose.services[service]?.healthcheck?.test.join(' ') ?? '',
      )?.[1];
    const env = compose.services;
    expect(probed('ingest')).toBe(String(env.ingest?.environment?.INGEST_OPS_PORT));
    expect(probed('worker')).toBe(String(env.worker?.environment?.WORKER_PORT));
    // The dashboard's /readyz is on its ops port, DASHBOARD_OPS_PORT (default 8083).
    expect(probed('dashboard')).toBe(env.dashboard?.environment?.DASHBOARD_OPS_PORT ?? '8083');
  });
});
