#!/usr/bin/env node
// The orchestrator alone (its container image's entry point): loads tsx so the TypeScript sources
// run as they are, then hands over to orchestrator/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../orchestrator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
