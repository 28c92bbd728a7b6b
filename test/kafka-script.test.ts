// infra/kafka/kafka.sh refuses settings that would reach its sed (server.properties) or a shell
// (/dev/tcp) as code: checked before any command runs, so no broker is started here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../infra/kafka/kafka.sh', import.meta.url));

describe('infra/kafka/kafka.sh', () => {
  it('refuses a KAFKA_HOST, a port or quorum that is not one, running nothing of it', () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'commitlog-kafka-sh-')), 'ran');
    for (const [name, value] of [
      ['KAFKA_HOST', `;touch ${marker};#|e;#`],
      ['KAFKA_HOST', `127.0.0.1$(touch ${marker})`],
      ['KAFKA_PORT', `9092$(touch ${marker})`],
      ['KAFKA_QUORUM_VOTERS', `1@127.0.0.1:9093|e touch ${marker}`],
      // & and \ mean something in a sed replacement: log.dirs would be another folder.
      ['KAFKA_DATA_DIR', '/tmp/kafka&data'],
    ]) {
      const run = spawnSync('bash', [script, 'status'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, [name!]: value },
        encoding: 'utf8',
      });
      expect({ name, value, status: run.status }).toEqual({ name, value, status: 2 });
      expect(run.stderr).toMatch(new RegExp(`^kafka: ${name} must (be|not hold)`, 'm'));
    }
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses at once a node whose storage is another cluster's than KAFKA_CLUSTER_ID, saying so", () => {
    const data = mkdtempSync(join(tmpdir(), 'commitlog-kafka-data-'));
    mkdirSync(join(data, 'kraft-logs'), { recursive: true });
    writeFileSync(
      join(data, 'kraft-logs', 'meta.properties'),
      'cluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=1\n',
    );
    const run = spawnSync('bash', [script, 'up'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KAFKA_DATA_DIR: data,
        KAFKA_CLUSTER_ID: 'BBBBBBBBBBBBBBBBBBBBBB',
        // Free ports: the refusal comes before anything listens.
        KAFKA_PORT: '19392',
        KAFKA_CONTROLLER_PORT: '19393',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /belongs to Kafka cluster AAAAAAAAAAAAAAAAAAAAAA, but KAFKA_CLUSTER_ID is BBBBBBBBBBBBBBBBBBBBBB/,
    );
  });
});
