import type { Command } from 'ioredis';
import type { RedisConnection } from '../src/redis-connection.ts';

/**
 * Makes each script that `connection` sends with `firstKey` as its first key run once more just
 * before it goes, through `other`: as when a connection is lost after Redis ran a command and
 * ioredis sends it again, so that the second run finds the first one's work done. Returns how
 * many scripts ran twice so far.
 */
export function runScriptsTwice(
  connection: RedisConnection,
  other: RedisConnection,
  firstKey: string,
): () => number {
  const send = connection.sendCommand.bind(connection);
  let ranTwice = 0;
  connection.sendCommand = ((command: Command, stream?: Parameters<typeof send>[1]) => {
    const script = command.name === 'evalsha' || command.name === 'eval';
    // EVAL/EVALSHA script numkeys key…: the first key is the third argument.
    if (!script || String(command.args[2]) !== firstKey) return send(command, stream);
    void other
      .call(command.name, ...(command.args as string[]))
      .then(() => ranTwice++)
      .catch(() => undefined)
      .then(() => send(command, stream));
    return command.promise;
  }) as typeof connection.sendCommand;
  return () => ranTwice;
}
