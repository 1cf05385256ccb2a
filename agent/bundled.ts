// Where the agent runs from: the bundle (dist/banyan-agent.mjs) or the TypeScript sources. The
// bundle's banner (deploy/bundle/agent-bundle.mjs) defines __BANYAN_BUNDLE_URL__ as the bundle's
// own URL; the sources' import.meta.url is rewritten to the source tree, so it cannot tell.
declare const __BANYAN_BUNDLE_URL__: string | undefined;

/** A file built beside the bundle (dist/banyan-inventory.mjs), or undefined when run from source. */
export function bundledFile(name: string): URL | undefined {
  return typeof __BANYAN_BUNDLE_URL__ === 'string' ? new URL(`./${name}`, __BANYAN_BUNDLE_URL__) : undefined;
}
