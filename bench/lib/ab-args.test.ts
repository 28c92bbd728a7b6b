import { describe, expect, it } from 'vitest';
import { parseAbArgs } from './ab-args.ts';

describe('bench:ab arguments', () => {
  it('reads a setting with two values, pairs and rate, with defaults', () => {
    expect(parseAbArgs(['INGEST_ENQUEUE_BATCHING=true,false', '6', '280'])).toEqual({
      name: 'INGEST_ENQUEUE_BATCHING',
      values: ['true', 'false'],
      pairs: 6,
      rate: 280,
    });
    expect(parseAbArgs(['KAFKA_CLIENT=platformatic,kafkajs'])).toEqual({
      name: 'KAFKA_CLIENT',
      values: ['platformatic', 'kafkajs'],
      pairs: 4,
      rate: 400,
    });
  });

  it('names what is wrong', () => {
    expect(parseAbArgs([])).toEqual({ problem: 'give NAME=A,B [pairs] [rate]' });
    expect(parseAbArgs(['lanes=4,16'])).toEqual({
      problem: '"lanes=4,16" is not NAME=A,B (an upper-case name, two values)',
    });
    expect(parseAbArgs(['LANES=4,8,16'])).toEqual({
      problem: '"LANES=4,8,16" is not NAME=A,B (an upper-case name, two values)',
    });
    expect(parseAbArgs(['LANES=4,4'])).toEqual({ problem: 'LANES: the two values are the same' });
    expect(parseAbArgs(['LANES=4,16', '0'])).toEqual({ problem: 'pairs: "0" is not ≥ 1' });
    expect(parseAbArgs(['LANES=4,16', '2', 'x'])).toEqual({ problem: 'rate: "x" is not > 0' });
    expect(parseAbArgs(['LANES=4,16', '2', '3', '4'])).toEqual({
      problem: 'give NAME=A,B [pairs] [rate]',
    });
  });
});
