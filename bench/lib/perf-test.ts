/**
 * B3b: Kafka's own `kafka-producer-perf-test` (org.apache.kafka.tools.ProducerPerformance) from the
 * broker's jars, acks=all, with payloads of the bench's value sizes in the same shares.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { VALUE_MIX } from './workload.ts';

const KAFKA_SH = fileURLToPath(new URL('../../infra/kafka/kafka.sh', import.meta.url));

export interface PerfTestSummary {
  records: number;
  recordsPerS: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/** Parses ProducerPerformance's final line ("N records sent, X records/sec (...), ..."). */
export function parsePerfTestOutput(output: string): PerfTestSummary | undefined {
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(
      output,
    );
  if (!m) return undefined;
  return {
    records: Number(m[1]),
    recordsPerS: Number(m[2]),
    avgMs: Number(m[3]),
    maxMs: Number(m[4]),
    p50Ms: Number(m[5]),
    p99Ms: Number(m[7]),
    p999Ms: Number(m[8]),
  };
}

/** Ten payload lines in the mix's shares (letters: the tool reads the file as text lines). */
export function payloadLines(): string[] {
  const lines: string[] = [];
  for (const { bytes, share } of VALUE_MIX) {
    for (let i = 0; i < Math.round(share * 10); i++) {
      lines.push(String.fromCharCode(97 + i).repeat(bytes));
    }
  }
  return lines;
}

export async function runPerfTest(options: {
  brokers: string[];
  topic: string;
  records: number;
  payloadFile: string;
  env: NodeJS.ProcessEnv;
  onPid?: (pid: number) => void;
}): Promise<{ summary: PerfTestSummary | undefined; output: string }> {
  await writeFile(options.payloadFile, payloadLines().join('\n'));
  const args = [
    KAFKA_SH,
    'run',
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    options.topic,
    '--num-records',
    String(options.records),
    '--throughput',
    '-1',
    '--payload-file',
    options.payloadFile,
    '--producer-props',
    `bootstrap.servers=${options.brokers.join(',')}`,
    'acks=all',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) options.onPid?.(child.pid);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ summary: parsePerfTestOutput(output), output });
    });
  });
}
