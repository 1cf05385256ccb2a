// What the agent's commands share: where output goes (tests pass their own sinks), and the
// usage-error path every command takes when its arguments do not parse.

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function cliIo(deps: { stdout?: (s: string) => void; stderr?: (s: string) => void }): CliIo {
  return {
    out: deps.stdout ?? ((s: string) => void process.stdout.write(s)),
    err: deps.stderr ?? ((s: string) => void process.stderr.write(s)),
  };
}

/**
 * Parses the arguments, or answers the command itself: the help text (exit 0) when asked for,
 * the error and the help (exit 2) when they do not parse. A number means: return it.
 */
export function parseOrAnswer<T extends { help?: boolean }>(name: string, help: string, io: CliIo, parse: () => T): T | number {
  let args: T;
  try {
    args = parse();
  } catch (e) {
    io.err(`banyan ${name}: ${(e as Error).message}\n\n${help}\n`);
    return 2;
  }
  if (args.help) {
    io.out(help + '\n');
    return 0;
  }
  return args;
}
