/** What `commitlog help` prints: every command, in a few words each. */
export const USAGE = `usage: commitlog <command>

commands:
  up          start the whole system on this machine (local Redis and Kafka unless configured)
  ingest      run the HTTP ingest (configured from the environment)
  worker      run a delivery worker (configured from the environment)
  dashboard   run the dashboard (configured from the environment)
  dashboard hash-password
              read a password (hidden, or piped) and print its hash for DASHBOARD_USERS
  post FILE   sign a commit (or {"commits": [...]}) from a JSON file and post it to the ingest
  requeue FILE
              replay the Riak hook's failure log through the ingest (idempotent within
              DEDUP_WINDOW)
  status      lanes, backlog, held lanes, failed deliveries by reason and recent stalls
  lanes [--key TYPE/BUCKET/KEY]
              the lane count, whether it may change now, and where each lane lives (queue,
              Redis Cluster slot and node) with what it holds; --key: the lane of one key
              (as JSON, '{"bucket": "b", "key": {"base64": "..."}}', for bytes that are not UTF-8)
  redrive [--reason R] [--bucket B] [--bucket-type T] [--older-than 1h] [--job ID] | --all
              move the matching failed deliveries back into their lanes (at the end)
  discard --job ID
              remove a failed delivery whose job holds no commit, or an id whose job is gone
              (one redrive left failed and named)
  check ROLE  check the configuration of a role (ingest, worker or dashboard) from the
              environment and the files it names, as it would start, without starting it
  audit [--last N]
              what operators did to deliveries (CLI redrive and discard, the dashboard's
              re-drives, pauses and resumes), newest first
  help        show this text

Run \`commitlog <command> --help\` for one command's usage.`;

/** Each command's usage, keyed by the words that name it (`dashboard hash-password` is two). */
const COMMAND_USAGE = new Map<string, string>([
  [
    'up',
    'usage: commitlog up (the whole system on this machine, in the foreground: Redis and Kafka, ' +
      'local unless REDIS_URL or KAFKA_BROKERS point elsewhere, then the ingest, a worker and the ' +
      'dashboard; Ctrl-C stops those three, `bash infra/down.sh` stops the local Redis and Kafka)',
  ],
  ['ingest', 'usage: commitlog ingest (run the HTTP ingest, configured from the environment)'],
  ['worker', 'usage: commitlog worker (run a delivery worker, configured from the environment)'],
  [
    'dashboard',
    'usage: commitlog dashboard (run the dashboard, configured from the environment)\n' +
      '       commitlog dashboard hash-password (print the hash of a password for DASHBOARD_USERS)',
  ],
  [
    'dashboard hash-password',
    'usage: commitlog dashboard hash-password (read a password, hidden at a terminal or the ' +
      'first line piped in, and print the hash a DASHBOARD_USERS entry takes)',
  ],
  [
    'post',
    'usage: commitlog post FILE (sign a commit, or {"commits": [...]}, from a JSON file and post it to INGEST_URL)',
  ],
  [
    'requeue',
    "usage: commitlog requeue FILE (replay the Riak hook's failure log through the ingest; idempotent within DEDUP_WINDOW, 24 h by default: a commit replayed later is delivered again)",
  ],
  [
    'status',
    'usage: commitlog status (lanes, backlog, held lanes, failed deliveries by reason and recent stalls)',
  ],
  ['lanes', 'usage: commitlog lanes [--key TYPE/BUCKET/KEY]'],
  [
    'redrive',
    'usage: commitlog redrive [--reason R] [--bucket B] [--bucket-type T] [--older-than 1h] [--job ID] | --all',
  ],
  [
    'audit',
    "usage: commitlog audit [--last N] (the newest N records of the audit trail, 20 by default: the CLI's redrive and discard, the dashboard's re-drives, pauses and resumes; who, when, what)",
  ],
  [
    'check',
    "usage: commitlog check ingest|worker|dashboard (check that role's configuration from the environment and the files it names, as it would start, without starting it or contacting Redis or Kafka; exit 1 naming every bad variable)",
  ],
  [
    'discard',
    'usage: commitlog discard --job ID (remove a failed delivery whose job holds no commit, or an id left in the failed deliveries whose job is gone from Redis, which redrive leaves failed and names; one that holds a commit is refused)',
  ],
]);

/**
 * The usage to print when `argv` asks for a command's help (`--help` or `-h` among its
 * arguments), or undefined. Asked for before a command reads its arguments: `post --help` would
 * otherwise look for a file named `--help` (still reachable as `./--help`), and `status --help`
 * be refused as an argument.
 */
export function helpFor(argv: readonly string[]): string | undefined {
  const [command, ...rest] = argv;
  if (command === undefined || !rest.some((arg) => arg === '--help' || arg === '-h')) {
    return undefined;
  }
  if (command === 'dashboard' && rest[0] === 'hash-password') {
    return COMMAND_USAGE.get('dashboard hash-password');
  }
  if (command === 'help') return USAGE;
  return COMMAND_USAGE.get(command);
}
