#!/usr/bin/env node
// `npm run build` (and npm install's prepare step): dist/banyan-agent[.mjs], the edge agent.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAgentBundle } from './agent-bundle.mjs';

const { values } = parseArgs({ options: { 'out-dir': { type: 'string' }, 'app-dir': { type: 'string' } } });
try {
  // --app-dir: the installed tree the bundle will read its assets from (install-agent.sh).
  const { launcher } = await buildAgentBundle({ outDir: values['out-dir'], appDir: values['app-dir'] });
  console.log(`built ${relative(process.cwd(), launcher) || launcher} (the edge agent: run it as  ${relative(process.cwd(), launcher) || launcher} agent --help)`);
} catch (e) {
  console.error(`build-agent: ${e.message}\n(esbuild comes with npm install; run npm install first)`);
  process.exitCode = 1;
}
