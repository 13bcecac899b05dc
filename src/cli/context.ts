/** What a command needs from the process: where to write, and where to put its exit code. */

export interface CliContext {
  /** Human output and data (schema JSON, the demo's banner). */
  readonly out: (text: string) => void;
  /** Diagnostics: config issues, errors, the listener lines of `start`. */
  readonly err: (text: string) => void;
  /** Set by the command that ran; the process exits with it. */
  exitCode: number;
}

/** A context writing to the real stdout and stderr. */
export function processContext(): CliContext {
  return {
    out: (text) => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    exitCode: 0,
  };
}
