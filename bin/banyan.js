#!/usr/bin/env node
// npx banyan …: loads tsx so the TypeScript sources run as they are, then hands over to cli.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
process.exitCode = await main(process.argv.slice(2));
