// infra/kafka/kafka.sh refuses settings that would reach its sed (server.properties) or a shell
// (/dev/tcp) as code: checked before any command runs. One test starts a broker of its own.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, setUpSharedServices } from '@commitlog/testkit';
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

  it("refuses at once a node whose storage is another cluster's than KAFKA_CLUSTER_ID, saying so", async () => {
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
        // Free ports: up checks both before it reads the storage, and refuses a taken one first.
        KAFKA_PORT: String(await freePort()),
        KAFKA_CONTROLLER_PORT: String(await freePort()),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /belongs to Kafka cluster AAAAAAAAAAAAAAAAAAAAAA, but KAFKA_CLUSTER_ID is BBBBBBBBBBBBBBBBBBBBBB/,
    );
  });

  it('marks the broker as started by the one call of two at once that started it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'commitlog-kafka-data-'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KAFKA_DATA_DIR: data,
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      // Under the test's own time-out, so that its `finally` stops what it started.
      KAFKA_START_TIMEOUT: '40',
    };
    const up = (mark: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn('bash', [script, 'up'], {
          env: { ...env, KAFKA_STARTED_MARK: mark },
          stdio: 'ignore',
        });
        child.once('exit', resolve);
      });
    const marks = [join(data, 'first.mark'), join(data, 'second.mark')];
    try {
      expect(await Promise.all(marks.map(up))).toEqual([0, 0]);
      const written = marks.filter((mark) => existsSync(mark));
      expect(written).toHaveLength(1);
      const pid = readFileSync(join(data, 'kafka.pid'), 'utf8').trim();
      expect(readFileSync(written[0]!, 'utf8').trim()).toBe(pid);
      // A call that finds the broker running does not mark it.
      const again = join(data, 'again.mark');
      expect(await up(again)).toBe(0);
      expect(existsSync(again)).toBe(false);
    } finally {
      spawnSync('bash', [script, 'down'], { env, stdio: 'ignore', timeout: 60_000 });
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("stops the tests' set-up, naming the port, when something that is not Kafka holds it", async () => {
    const port = await freePort();
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    const data = mkdtempSync(join(tmpdir(), 'commitlog-kafka-data-'));
    const saved = {
      KAFKA_PORT: process.env.KAFKA_PORT,
      KAFKA_DATA_DIR: process.env.KAFKA_DATA_DIR,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    };
    // The local broker's case: with KAFKA_BROKERS the set-up only checks that something answers.
    delete process.env.KAFKA_BROKERS;
    Object.assign(process.env, { KAFKA_PORT: String(port), KAFKA_DATA_DIR: data });
    try {
      await expect(setUpSharedServices()).rejects.toThrow(
        /infra\/kafka\/kafka.sh up failed \(exit 4\)/,
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      squatter.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
