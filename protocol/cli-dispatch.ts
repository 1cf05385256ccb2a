// Sub-command dispatch shared by `banyan` (cli.ts), the edge agent's bundle (agent/cli/main.ts) and
// the orchestrator's own entry (orchestrator/cli/main.ts): the help listing, unknown commands and
// the exit codes for usage errors. In protocol/ because agent and orchestrator share nothing else.
export type Command = { summary: string; run: (argv: string[]) => Promise<number> };

export async function dispatch(program: string, title: string, commands: Record<string, Command>, argv: string[]): Promise<number> {
  const help = `${title}

Usage: ${program} <command> [options]     (${program} <command> --help for its options)

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`)
  .join('\n')}
`;
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help);
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`${program}: unknown command "${name}"\n\n${help}`);
    return 2;
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
