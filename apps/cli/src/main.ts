import { endQuietlyOnClosedPipe } from './closed-pipe.ts';
import { runCli } from './run-cli.ts';

endQuietlyOnClosedPipe(process.stdout, (error) => {
  process.stderr.write(`commitlog: cannot write the output: ${error.message}\n`);
});
// Nowhere is left to report a failing stderr.
endQuietlyOnClosedPipe(process.stderr, () => undefined);
process.exitCode = await runCli(process.argv.slice(2), process.env);
