// The process-level check of the same (a real closed pipe, a real process) is in main.test.ts.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { endQuietlyOnClosedPipe, watchOutput } from './closed-pipe.ts';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`write ${code}`), { code });
}

describe('endQuietlyOnClosedPipe', () => {
  it('hears a closed pipe and says nothing; passes any other write error on', () => {
    const stream = new EventEmitter();
    const others: Error[] = [];
    endQuietlyOnClosedPipe(stream, (error) => others.push(error));
    expect(() => stream.emit('error', errno('EPIPE'))).not.toThrow();
    expect(others).toEqual([]);
    stream.emit('error', errno('ENOSPC'));
    expect(others.map((e) => e.message)).toEqual(['write ENOSPC']);
  });
});

describe('watchOutput', () => {
  it('says a lost output once, however many writes fail, and not a closed pipe', () => {
    const stream = new EventEmitter();
    const said: string[] = [];
    const output = watchOutput(stream, (error) => said.push(error.message));
    stream.emit('error', errno('EPIPE'));
    expect(output.lost()).toBe(false);
    // `requeue > /dev/full`: its progress lines and its summary each fail.
    stream.emit('error', errno('ENOSPC'));
    stream.emit('error', errno('ENOSPC'));
    expect(said).toEqual(['write ENOSPC']);
    expect(output.lost()).toBe(true);
  });
});
