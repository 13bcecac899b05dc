/** The CLI's exit codes: one meaning each, documented in every command's --help and the README. */

export const EXIT_OK = 0;
/** Something failed at run time: a port could not be bound, the gateway stopped on an error. */
export const EXIT_FAILURE = 1;
/** The command line or the config file is wrong: fix the input, retrying will not help. */
export const EXIT_USAGE = 2;

/** Appended to every command's --help. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  runtime failure (a port could not be bound, the gateway stopped on an error)
  2  bad usage or bad config (unknown command or option, invalid rampart.yaml)`;
