import { describe, expect, it } from 'vitest';
import { parseCommandStats } from './redis-command-stats.ts';

describe('Redis command stats', () => {
  it('reads INFO commandstats, most time first', () => {
    const info = [
      '# Commandstats',
      'cmdstat_ping:calls=2,usec=13,usec_per_call=6.50,rejected_calls=0,failed_calls=0',
      'cmdstat_evalsha:calls=100,usec=4000,usec_per_call=40.00,rejected_calls=0,failed_calls=1',
      'cmdstat_client|setname:calls=3,usec=13,usec_per_call=4.33,rejected_calls=0,failed_calls=0',
      '',
    ].join('\r\n');
    expect(parseCommandStats(info)).toEqual([
      { command: 'evalsha', calls: 100, usec: 4000 },
      { command: 'client|setname', calls: 3, usec: 13 },
      { command: 'ping', calls: 2, usec: 13 },
    ]);
    expect(parseCommandStats('# Commandstats\r\n')).toEqual([]);
  });

  it('refuses a line it cannot read rather than count it as nothing', () => {
    expect(() => parseCommandStats('cmdstat_get:calls=x,usec=1')).toThrow(/cannot read.*get/);
  });
});
