// The alerting rules in deploy/prometheus, checked with Prometheus's own promtool (its rule check
// and the unit tests in commitlog-alerts.test.yml, which feed each alert the series that should
// fire it and the ones that should not), then held to the metrics that a running ingest and worker
// really export: a renamed metric would leave an alert that can never fire, and promtool cannot
// know that.
import {
  putCommit,
  startSystem,
  uniqueName,
  waitFor,
  type RunningSystem,
} from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../deploy/prometheus/', import.meta.url));
const RULES = 'commitlog-alerts.yml';
const RULE_TESTS = 'commitlog-alerts.test.yml';

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleTest {
  name: string;
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

const rules = (
  parse(readFileSync(`${dir}${RULES}`, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const ruleTests = (parse(readFileSync(`${dir}${RULE_TESTS}`, 'utf8')) as { tests: RuleTest[] })
  .tests;

/** Runs promtool (put on PATH by `./commitlog test`), failing with its output when it fails. */
function promtool(...args: string[]): string {
  const run = spawnSync(process.env.PROMTOOL ?? 'promtool', args, { cwd: dir, encoding: 'utf8' });
  if (run.error) {
    throw new Error(
      `promtool could not run (${run.error.message}): \`./commitlog test\` installs it`,
    );
  }
  const output = `${run.stdout}${run.stderr}`;
  expect(run.status, output).toBe(0);
  return output;
}

/**
 * The series names an exposition (a `/metrics` answer) declares, from its `# TYPE` lines: a
 * labelled counter declares itself before its first series exists (no retry yet, no retries
 * series). A histogram's series are its `_bucket`, `_sum` and `_count`.
 */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name = '', type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  return names;
}

describe('alerting rules (deploy/prometheus)', () => {
  let system: RunningSystem | undefined;
  afterAll(async () => {
    await system?.stop();
  });

  it('are valid rules that pass their unit tests', () => {
    expect(promtool('check', 'rules', RULES)).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(promtool('test', 'rules', RULE_TESTS)).toContain('SUCCESS');
  });

  it('give every alert a severity, a summary, and a unit test in which it fires', () => {
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
    const fired = new Set(
      ruleTests.flatMap((t) =>
        t.alert_rule_test.filter((e) => e.exp_alerts.length > 0).map((e) => e.alertname),
      ),
    );
    expect([...fired].sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it('name only metrics that a running ingest and worker export', async () => {
    system = await startSystem({ workers: 1 });
    const running = system;
    // The worker declares its metrics once it is connected and consuming: wait for a delivery.
    expect((await running.post(putCommit({ bucket: 'alerts', key: uniqueName('k') }))).status).toBe(
      202,
    );
    const scrape = (port: number): Promise<string> =>
      fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    const workerMetrics = await waitFor(
      async () => {
        const text = await scrape(running.workers[0]!.port);
        return /^commitlog_delivered_total\{[^}]*\} 1$/m.test(text) ? text : undefined;
      },
      { timeoutMs: 30_000, description: 'the worker to deliver the commit' },
    );
    const ingestMetrics = await scrape(running.ingest.port);
    const exported = new Set([...exportedNames(workerMetrics), ...exportedNames(ingestMetrics)]);

    // README's table of metrics names each one the roles export (beside Node's process metrics),
    // and nothing else: an operator builds dashboards and alerts from it.
    const documented = [
      ...readFileSync(new URL('../README.md', import.meta.url), 'utf8').matchAll(
        /^\| `(commitlog_[a-z_]+)` +\|/gm,
      ),
    ].map((m) => m[1] ?? '');
    const declared = [
      ...`${workerMetrics}\n${ingestMetrics}`.matchAll(/^# TYPE (commitlog_[a-z_]+) /gm),
    ]
      .map((m) => m[1] ?? '')
      .filter((name) => !/^commitlog_(process|nodejs)_/.test(name));
    expect(documented.length).toBeGreaterThan(15);
    expect([...new Set(documented)].sort()).toEqual([...new Set(declared)].sort());

    const used = new Set(rules.flatMap((r) => r.expr.match(/\bcommitlog_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);

    // A rule on a code fires on the first refusal only if that code's series exists (at 0) before
    // it: `increase` sees nothing in a series' first sample. Every code or pattern the rules name
    // must match a series that the ingest exports before any refusal.
    const exportedCodes = [
      ...ingestMetrics.matchAll(/^commitlog_ingest_rejected_total\{[^}]*code="([A-Z_]+)"/gm),
    ].map((m) => m[1] ?? '');
    const namedCodes = rules.flatMap((r) =>
      [...r.expr.matchAll(/commitlog_ingest_rejected_total\{code=~?"([^"]+)"/g)].flatMap((m) =>
        (m[1] ?? '').split('|'),
      ),
    );
    expect(namedCodes.length).toBeGreaterThan(4);
    const unmatched = namedCodes.filter(
      (pattern) => !exportedCodes.some((code) => new RegExp(`^(?:${pattern})$`).test(code)),
    );
    expect(unmatched).toEqual([]);
  });
});
