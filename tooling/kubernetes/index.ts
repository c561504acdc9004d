/**
 * `npm run check:kubernetes`: renders every overlay of deploy/kubernetes with kustomize
 * and checks every rendered object strictly with tooling/kubernetes-check (Go: each object decoded
 * into its upstream type, unknown fields refused, plus value and reference rules), after the Go
 * checker's own tests and negative controls on the real rendering (a misspelt field, a wrong enum
 * value, a secret written into the manifest must each fail). The PrometheusRule must hold exactly
 * the groups of deploy/prometheus/alerts.yml, the rules promtool checks (`--write` regenerates it);
 * every panel of the Grafana dashboard queries a metric (test/worker-process.test.ts checks the
 * names against a live worker's /metrics).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';

export const KUBERNETES_DIR = join(PROJECT_ROOT, 'deploy/kubernetes');
export const OVERLAYS_DIR = join(KUBERNETES_DIR, 'overlays');
export const CHECKER_DIR = join(PROJECT_ROOT, 'tooling/kubernetes-check');
const ALERTS = join(PROJECT_ROOT, 'deploy/prometheus/alerts.yml');
export const PROMETHEUS_RULE = join(KUBERNETES_DIR, 'base/prometheus-rule.yaml');
export const DASHBOARD = join(KUBERNETES_DIR, 'base/grafana-dashboard.json');

export function overlays(): string[] {
  return readdirSync(OVERLAYS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/**
 * kustomize v5.5.0 (the one kubectl 1.32 embeds): `kustomize build` where KUSTOMIZE names a
 * binary (.ci/run builds one with Go on a machine without kubectl), else `kubectl kustomize`
 * (KUBECTL, else kubectl on PATH).
 */
export function kustomizeCommand(env: NodeJS.ProcessEnv = process.env): [string, string[]] {
  if (env.KUSTOMIZE) return [env.KUSTOMIZE, ['build']];
  return [env.KUBECTL ?? 'kubectl', ['kustomize']];
}

/** One overlay, rendered. */
export function renderOverlay(name: string): string {
  const [command, args] = kustomizeCommand();
  return execFileSync(command, [...args, join(OVERLAYS_DIR, name)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The PrometheusRule made from alerts.yml's groups, as committed in the base. */
export function prometheusRuleText(): string {
  const { groups } = parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: unknown };
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'tdg-email-append' },
    spec: { groups },
  };
  return (
    '# Generated from deploy/prometheus/alerts.yml (the rules promtool checks) by\n' +
    '# `npm run check:kubernetes -- --write`; the check fails when the two differ.\n' +
    stringify(rule, { lineWidth: 0, singleQuote: true })
  );
}

export function prometheusRuleDrift(): string | null {
  const committed = parseYaml(readFileSync(PROMETHEUS_RULE, 'utf8')) as unknown;
  return isDeepStrictEqual(committed, parseYaml(prometheusRuleText()))
    ? null
    : `${PROMETHEUS_RULE} differs from deploy/prometheus/alerts.yml: run npm run check:kubernetes -- --write`;
}

interface DashboardPanel {
  title?: string;
  datasource?: { uid?: string };
  targets?: { expr?: string }[];
}

/** Every panel's queries in the Grafana dashboard. */
export function dashboardQueries(): { panel: string; expr: string }[] {
  const { panels } = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: DashboardPanel[] };
  return panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title ?? '', expr: target.expr ?? '' })),
  );
}

/** The series a PromQL query names: our `tdg_*` and the SDK's `temporal_*` (no label has either prefix). */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:tdg|temporal)_[a-z0-9_]+\b/g) ?? [])];
}

export function dashboardProblems(): string[] {
  const { panels } = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: DashboardPanel[] };
  const problems: string[] = [];
  for (const panel of panels) {
    if (!panel.targets?.length) problems.push(`dashboard panel "${panel.title}": no query`);
    if (panel.datasource?.uid !== '${datasource}') {
      problems.push(`dashboard panel "${panel.title}": its data source must be the \${datasource} variable`);
    }
  }
  for (const { panel, expr } of dashboardQueries()) {
    if (metricNames(expr).length === 0)
      problems.push(`dashboard panel "${panel}": its query names no metric`);
  }
  return problems;
}

/** Builds the Go checker (its modules come through the Go module proxy; later runs hit Go's cache). */
export function buildChecker(outDir: string): string {
  const binary = join(outDir, 'kubernetes-check');
  execFileSync('go', ['build', '-o', binary, '.'], { cwd: CHECKER_DIR, stdio: 'inherit' });
  return binary;
}

export interface CheckResult {
  ok: boolean;
  output: string;
}

export function runChecker(binary: string, manifests: string): CheckResult {
  const run = spawnSync(binary, ['-'], { input: manifests, encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

/** Each rendered object's apiVersion and kind, counted. */
export function renderedKinds(manifests: string): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const doc of parseAllDocuments(manifests)) {
    const { apiVersion, kind } = doc.toJS() as { apiVersion: string; kind: string };
    const key = `${apiVersion} ${kind}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return kinds;
}

/** Breakages of a real rendering that the checker must refuse, each with what it must say. */
export const NEGATIVE_CONTROLS: { name: string; breaks: (text: string) => string; expect: RegExp }[] = [
  {
    name: 'a misspelt field (rollout.stratgy)',
    breaks: (text) => text.replace(/^(\s+)strategy: Progressive$/m, '$1stratgy: Progressive'),
    expect: /WorkerDeployment\/tdg-worker: .*unknown field "spec\.rollout\.stratgy"/,
  },
  {
    name: 'a wrong enum value (strategy: Progresive)',
    breaks: (text) => text.replace(/strategy: Progressive$/m, 'strategy: Progresive'),
    expect: /spec\.rollout\.strategy: must be Manual, AllAtOnce or Progressive, got "Progresive"/,
  },
  {
    name: 'a pause shorter than 30s',
    breaks: (text) => text.replace(/pauseDuration: \S+$/m, 'pauseDuration: 10s'),
    expect: /pauseDuration: at least 30s/,
  },
  {
    name: 'an unknown field in a core kind (Deployment readinessProbe.httpGet.paht)',
    breaks: (text) => text.replace(/^(\s+)path: \/healthz$/m, '$1paht: /healthz'),
    expect: /unknown field/,
  },
  {
    name: 'a secret written into the manifest',
    breaks: (text) =>
      text.replace(
        /- name: NOTIFY_SECRET\n(\s+)valueFrom:\n\s+secretKeyRef:\n\s+key: NOTIFY_SECRET\n\s+name: tdg-email-append\n/,
        '- name: NOTIFY_SECRET\n$1value: written-into-the-manifest\n',
      ),
    expect: /env\.NOTIFY_SECRET: a secret written into the manifest/,
  },
];

export interface CheckReport {
  overlays: { name: string; kinds: Map<string, number>; output: string }[];
  problems: string[];
}

export function checkKubernetes(
  options: { write?: boolean; log?: (line: string) => void } = {},
): CheckReport {
  const log = options.log ?? (() => undefined);
  const problems: string[] = [];
  if (options.write) writeFileSync(PROMETHEUS_RULE, prometheusRuleText());
  const drift = prometheusRuleDrift();
  if (drift) problems.push(drift);
  problems.push(...dashboardProblems());

  log('go test (the checker and its negative controls)');
  const goTest = spawnSync('go', ['test', './...'], { cwd: CHECKER_DIR, encoding: 'utf8' });
  if (goTest.status !== 0)
    problems.push(`go test in tooling/kubernetes-check failed:\n${goTest.stdout}${goTest.stderr}`);

  const dir = mkdtempSync(join(tmpdir(), 'kubernetes-check-'));
  const report: CheckReport = { overlays: [], problems };
  try {
    const binary = buildChecker(dir);
    for (const name of overlays()) {
      const manifests = renderOverlay(name);
      const result = runChecker(binary, manifests);
      report.overlays.push({ name, kinds: renderedKinds(manifests), output: result.output });
      log(`overlay ${name}: ${result.ok ? 'ok' : 'FAILED'}`);
      if (!result.ok) problems.push(`overlay ${name}:\n${result.output}`);
      for (const control of NEGATIVE_CONTROLS) {
        const broken = control.breaks(manifests);
        if (broken === manifests) {
          problems.push(`overlay ${name}: negative control "${control.name}" found nothing to break`);
          continue;
        }
        const refused = runChecker(binary, broken);
        if (refused.ok || !control.expect.test(refused.output)) {
          problems.push(
            `overlay ${name}: negative control "${control.name}" was not refused as expected:\n${refused.output}`,
          );
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
