// infra/kafka/cluster.sh's exit codes and clean-up, run against a stand-in kafka.sh (a copy of the
// script beside a fake that records each call and fails where told): no broker is started.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../infra/kafka/cluster.sh', import.meta.url));

/**
 * cluster.sh COMMAND with a kafka.sh that fails `FAIL` (e.g. `down 2`), says no node runs, and
 * answers `cluster-id` with nothing.
 */
function cluster(command: string, fail: string) {
  const dir = mkdtempSync(join(tmpdir(), 'commitlog-cluster-sh-'));
  copyFileSync(script, join(dir, 'cluster.sh'));
  const calls = join(dir, 'calls');
  writeFileSync(
    join(dir, 'kafka.sh'),
    [
      'echo "$1 ${KAFKA_NODE_ID:-}" >> "$CALLS"',
      '[ "$1" = status ] && exit 3',
      '[ "$1 ${KAFKA_NODE_ID:-}" = "$FAIL" ] && exit 7',
      'exit 0',
    ].join('\n'),
  );
  const data = join(dir, 'data');
  const run = spawnSync('bash', [join(dir, 'cluster.sh'), command], {
    env: { PATH: process.env.PATH, CALLS: calls, FAIL: fail, KAFKA_CLUSTER_DATA_DIR: data },
    encoding: 'utf8',
  });
  return { status: run.status, calls: readFileSync(calls, 'utf8').trim().split('\n') };
}

describe('infra/kafka/cluster.sh', () => {
  it('down: stops every node, and exits 1 when one of them fails to stop', () => {
    const run = cluster('down', 'down 2');
    expect(run.status).toBe(1);
    expect(run.calls.sort()).toEqual(['down 1', 'down 2', 'down 3']);
    expect(cluster('down', 'none').status).toBe(0);
  });

  it('up: a node that does not start stops the nodes this up started, with its exit code', () => {
    const run = cluster('up', 'up 2');
    expect(run.status).toBe(7);
    expect(run.calls).not.toContain('up 3');
    expect(run.calls.filter((c) => c.startsWith('down'))).toEqual(['down 1']);
  });
});
