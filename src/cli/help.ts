/**
 * The help texts of the command-line tool.
 *
 * @module
 */

const RUN = "deno run -A cli.ts | bun cli.ts";

/** The tool's help: its commands. */
export const MAIN_HELP =
  `mrecordlog: look inside and serve an mrecordlog directory

Usage: (${RUN}) <command> [arguments] [options]

Commands:
  summary DIR                  queues (first and last position, records, bytes) and log files
  read DIR QUEUE               write a queue's records to stdout
  append DIR QUEUE             append records read from stdin
  create DIR QUEUE             create a queue
  delete DIR QUEUE             delete a queue and its records
  truncate DIR QUEUE POSITION  drop a queue's records up to and including POSITION
  verify DIR                   check every frame of every log file, read-only
  serve [DIR]                  the HTTP ingest server (DIR defaults to ./data)

Run a command with --help for its options. Exit codes: 0 success, 1 failure
(for verify: corruption found), 2 bad usage (for verify: any other error).
Every command but verify opens the log and takes its lock, so they fail on
a directory a running server has open (use the server's HTTP API then).
`;

/** Each command's help. */
export const COMMAND_HELP: Record<string, string> = {
  summary: `Usage: summary DIR [--json]

Prints each queue with its first and last position, record count and
payload bytes, then the log files with their sizes. Reads a snapshot and
changes nothing: works on a log a server is writing.

  --json   print the summary as one JSON object
`,
  read: `Usage: read DIR QUEUE [--from N] [--to N] [--format FORMAT]

Writes the queue's records to stdout, streamed, from a snapshot of the log
(changes nothing: works on a log a server is writing).

  --from N         first position to read (default: the first held)
  --to N           last position to read, inclusive (default: the last)
  --format FORMAT  ndjson (default): {"position":N,"payload":"<base64>"} per line
                   raw: each payload followed by a newline
                   hex: the position, a tab and the payload in hex, per line
                   length-prefixed: each payload after its u32 little-endian length
`,
  append:
    `Usage: append DIR QUEUE [--ndjson | --length-prefixed] [--position N] [--create]

Appends the records read from stdin, through the streams API, and prints
{"firstPosition":…,"lastPosition":…,"count":…} on stdout.

  --ndjson              one record per line, empty lines skipped (default)
  --length-prefixed     each record after its u32 little-endian byte length
  --position N          position of the first record; records already there
                        with the same bytes are skipped, so a retry is safe
  --create              create the queue if it does not exist
  --max-record-bytes B  largest record accepted (default 16MiB)
`,
  create: `Usage: create DIR QUEUE

Creates an empty queue (and the log directory if it does not exist).
`,
  delete: `Usage: delete DIR QUEUE

Deletes a queue and all its records.
`,
  truncate: `Usage: truncate DIR QUEUE POSITION

Drops the queue's records at positions up to and including POSITION, and
deletes the log files no longer needed.
`,
  verify: `Usage: verify DIR [--json]

Reads every frame of every log file, read-only (no lock, nothing written),
and reports per file and per 32 KiB block what is intact and what is
corrupted: bad checksums, frame types or lengths, records that do not
decode, and data that readers never reach. Exit code 0 when intact, 1 when
corruption is found, 2 on any other error.

  --json   print the report as one JSON object
`,
  serve: `Usage: serve [DIR] [options]

Serves the log in DIR (default ./data, created if missing) over HTTP until
SIGINT or SIGTERM.

  --port N              port (default 7280; 0 picks a free one)
  --host H              address to listen on (default 127.0.0.1)
  --token T             require "Authorization: Bearer T" on every request
                        (default: the MRECORDLOG_TOKEN environment variable)
  --memory-limit B      retained bytes past which appends answer 429
  --policy P            always-fsync (default), always-flush,
                        on-delay-fsync[:MS], on-delay-flush[:MS], do-nothing
  --max-body-bytes B    largest request body (default 1GiB), else 413
  --max-record-bytes B  largest record (default 16MiB), else 413

Sizes take a binary unit: 65536, 64KiB, 512MiB, 1GiB.

Routes: GET /queues, POST|DELETE|GET /queues/{queue},
POST /queues/{queue}/records[?position=N][&format=ndjson|length-prefixed],
GET /queues/{queue}/records[?from=N][&to=N][&follow=true] (NDJSON lines
{"position":N,"payload":"<base64>"}), POST /queues/{queue}/truncate?position=N.
`,
};
