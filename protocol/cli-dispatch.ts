// Sub-command dispatch shared by `banyan` (cli.ts), the edge agent's bundle (agent/cli/main.ts) and
// the orchestrator's own entry (orchestrator/cli/main.ts): the help listing, --version, unknown
// commands, the exit codes for usage errors, and a reader that goes away
// (`banyan nodes --json | head -c 10`). In protocol/ because agent and orchestrator share nothing else.
import { BANYAN_VERSION } from './version.ts';

export type Command = { summary: string; run: (argv: string[]) => Promise<number> };

export async function dispatch(program: string, title: string, commands: Record<string, Command>, argv: string[]): Promise<number> {
  const help = `${title}

Usage: ${program} <command> [options]     (${program} <command> --help for its options)

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`)
  .join('\n')}
`;
  endQuietlyOnClosedStdout();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help);
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`${program} ${BANYAN_VERSION}`);
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`${program}: unknown command "${name}"\n\n${help}`);
    return 2;
  }
  if (rest.includes('--version')) {
    console.log(`${program} ${name} ${BANYAN_VERSION}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`${program} ${name}: ${err.message}; see ${program} ${name} --help`);
      return 2;
    }
    console.error(`${program} ${name}: ${err.message}`);
    return 1;
  }
}

/**
 * A reader that closes the pipe early (head, a pager quit) is how Unix tools end: quietly, with 0,
 * not with an EPIPE stack trace.
 */
let quietOnClosedStdout = false;
function endQuietlyOnClosedStdout(): void {
  if (quietOnClosedStdout) return;
  quietOnClosedStdout = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
}
