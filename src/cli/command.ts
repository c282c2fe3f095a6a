/**
 * The shape of a command of the command-line tool: everything the parser,
 * the dispatcher and the help need to know about it, in one object.
 *
 * @module
 */

/** The options given to a command, by long name (a `multiple` one: every value given). */
export type Flags = Record<string, string | string[] | boolean | undefined>;

/** A positional argument of a {@linkcode Command}. */
export interface CommandArgument {
  /** Its name in usage lines, in capitals: `DIR`. */
  name: string;
  /** What it is, in words, for help and usage errors: "the log directory". */
  description: string;
  /** May be left out (only the last arguments may be). */
  optional?: boolean;
}

/** An option of a {@linkcode Command}: `--name VALUE`, or a flag without value. */
export interface CommandOption {
  /** Its long name, without the dashes. */
  name: string;
  /** The name of its value in help (`N`, `B`); absent for a boolean flag. */
  value?: string;
  /** What it does; may span lines. */
  help: string;
  /** May be given more than once: its flag is then the list of values. */
  multiple?: boolean;
}

/** One command of the tool. */
export interface Command {
  /** The command's name, as typed. */
  name: string;
  /** One line for the list of commands in the main help. */
  summary: string;
  /** The paragraphs of its own help, after the usage line. */
  description: string;
  /** Its positional arguments, in order. */
  args: readonly CommandArgument[];
  /** Its options (`--help` is added to every command). */
  options: readonly CommandOption[];
  /**
   * Whether it takes the log directory's lock (opens the log for writing):
   * then it fails on a directory another process, such as a running
   * server, has open. Commands that do not take it write nothing.
   */
  takesLock: boolean;
  /**
   * The exit code when `run` raises an error other than a `UsageError` (bad
   * usage always exits with 2). Default 1; `verify`'s is 2, as its 1 means
   * corruption found.
   */
  failureExitCode?: number;
  /**
   * Runs the command with its positional `args` (as many as `args` allows)
   * and its `flags`; resolves with the exit code. Raises `UsageError` on a
   * bad value (checked before the log is opened), other errors on failure.
   */
  run(args: string[], flags: Flags): Promise<number>;
}
