/**
 * The `consume` command: a queue's records read through a consumer, as
 * NDJSON on stdout, each acknowledged once written with `--ack`.
 *
 * @module
 */

import process from "node:process";
import type { Command } from "../command.ts";
import { printError, stdoutStream } from "../io.ts";
import { openLog } from "../open_log.ts";
import { parseOptionalPosition, stringFlag } from "../options.ts";
import { progressWanted, QUIET_OPTION } from "../progress.ts";
import type { MultiRecordLog } from "../../log/multi_record_log.ts";
import { encodeRecordLine } from "../../wire/record_line.ts";

/** `consume DIR QUEUE NAME [--follow] [--ack] [--from N]`. */
export const consumeCommand: Command = {
  name: "consume",
  summary: "write a queue's records after a consumer's position to stdout",
  description:
    `Writes the queue's records after consumer NAME's last acknowledged
position to stdout, one {"position":N,"payload":"<base64>"} line each.
Creates the consumer if it does not exist. Without --ack nothing is
acknowledged: the same records are written again next time (at-least-once).`,
  args: [
    { name: "DIR", description: "the log directory" },
    { name: "QUEUE", description: "the queue's name" },
    { name: "NAME", description: "the consumer's name" },
  ],
  options: [
    {
      name: "ack",
      help: "acknowledge each record once it is written to stdout",
    },
    {
      name: "follow",
      help: `stay open at the end of the queue until SIGINT or SIGTERM
(records come only from this process: it holds the lock)`,
    },
    {
      name: "from",
      value: "N",
      help: "a new consumer's first position (default: the first held)",
    },
    QUIET_OPTION,
  ],
  takesLock: true,
  async run([dir, queue, name], flags): Promise<number> {
    const from = parseOptionalPosition(stringFlag(flags, "from"), "--from");
    await using log = await openLog(dir, "write", progressWanted(flags));
    if (!log.listConsumers(queue).some((c) => c.name === name)) {
      await log.createConsumer(queue, name, { from });
      printError(
        `mrecordlog: created consumer ${JSON.stringify(name)} of queue ${
          JSON.stringify(queue)
        }`,
      );
    }
    await consume(log, queue, name, flags.follow === true, flags.ack === true);
    return 0;
  },
};

/**
 * Writes the records of `queue` through consumer `name` to stdout, acking
 * each once written with `ack`; with `follow`, until SIGINT or SIGTERM.
 */
async function consume(
  log: MultiRecordLog,
  queue: string,
  name: string,
  follow: boolean,
  ack: boolean,
): Promise<void> {
  const reader = log.readable(queue, { consumer: name, follow }).getReader();
  const stop = (): void => {
    reader.cancel().catch(() => {});
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // A signal listener keeps Deno's process alive, not Node's: there, a follow
  // waiting at the end of the queue would exit (code 13, top-level await).
  const alive = follow ? setInterval(() => {}, 60_000) : undefined;
  const out = stdoutStream().getWriter();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await out.write(encodeRecordLine(value));
      if (ack) await log.ack(queue, name, value.position);
    }
  } finally {
    clearInterval(alive);
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    out.releaseLock();
    reader.releaseLock();
  }
}
