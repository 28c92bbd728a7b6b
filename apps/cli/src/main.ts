import { endQuietlyOnClosedPipe, watchOutput } from './closed-pipe.ts';
import { runCli } from './run-cli.ts';

// Output that could not be written (`commitlog audit > /dev/full`: ENOSPC) is a failure, not a
// success with nothing in the file. The error may be heard before the command ends or after (the
// stream reports it on a later tick), so it raises the exit code then and when the command ends.
const output = watchOutput(process.stdout, (error) => {
  if (!process.exitCode) process.exitCode = 1;
  process.stderr.write(`commitlog: cannot write the output: ${error.message}\n`);
});
// Nowhere is left to report a failing stderr.
endQuietlyOnClosedPipe(process.stderr, () => undefined);
const code = await runCli(process.argv.slice(2), process.env);
process.exitCode = output.lost() && code === 0 ? 1 : code;
