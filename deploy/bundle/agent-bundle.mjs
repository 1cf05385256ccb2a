// The edge agent as one plain-JS file (dist/banyan-agent.mjs) plus a launcher (dist/banyan-agent)
// that runs it on bare `node` with memory-lean flags. Run from source through tsx, the agent
// sits at ~115 MB RSS; bundled and launched this way it fits the ≤50 MB target on an edge box.
// Assets stay in the source tree: each source file's `import.meta.url` is rewritten to its own
// location relative to the bundle, so `new URL('./x.json', import.meta.url)` finds the same file.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_OUT_DIR = join(ROOT, 'dist');

/**
 * Why each flag (measured with `npm run bench`, agent section):
 * --jitless: an agent reporting once a second needs no optimising compiler, and not touching
 *   V8's compilers keeps ~5 MB of node's binary out of RSS. Benchmarks fork their own processes.
 * --no-expose-wasm: jitless has no WebAssembly; this silences V8's start-up warning about it.
 * --max-semi-space-size=1: a 1 MB young generation; the agent allocates little.
 */
export const AGENT_NODE_FLAGS = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1'];

/**
 * glibc allocator settings for the agent process (unless the operator set their own): V8's
 * parser takes ~5 MB of malloc'd zones at start-up, and freed chunks between live ones stay
 * resident; from 32 KB up they are mmap'd instead and go back to the OS when freed (~1 MB).
 * Two arenas, not one per thread. The agent drops these before it spawns anything
 * (agent/cli/main.ts), so workloads and benchmarks get the environment without them.
 */
export const AGENT_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '32768', MALLOC_ARENA_MAX: '2' };

/**
 * Our own sources: rewrite import.meta.url to the file's URL in the app tree the bundle will run
 * against (appDir, laid out like this checkout), found from the bundle's own URL.
 */
function sourceUrls(outDir, appDir) {
  return {
    name: 'source-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const code = await readFile(args.path, 'utf8');
        if (!code.includes('import.meta.url')) return { contents: code, loader: 'ts' };
        const rel = relative(outDir, join(appDir, relative(ROOT, args.path))).split('\\').join('/');
        return { contents: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/**
 * Modules our dependencies load eagerly but the agent rarely uses become stubs that load the
 * real module on first use: mqtt.js's WebSocket (ws pulls in node's http, https and zlib), TLS
 * and SOCKS transports, loaded on its first connect whatever the URL; its browser worker timers
 * and MQTT 5 topic-alias cache; pino's worker-thread transport. All of them keep working.
 */
const LAZY = [
  { importer: /[\\/]mqtt[\\/]build[\\/]lib[\\/]connect[\\/](index|tcp|tls)\.js$/, request: /^\.\/(ws|tls|socks)$/ },
  { importer: /[\\/]mqtt[\\/]build[\\/]lib[\\/]get-timer\.js$/, request: /^worker-timers$/ },
  { importer: /[\\/]mqtt[\\/]build[\\/]lib[\\/]topic-alias-send\.js$/, request: /^lru-cache$/ },
  { importer: /[\\/]pino[\\/]lib[\\/]transport\.js$/, request: /^thread-stream$/ },
];
const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    for (const rule of LAZY) {
      b.onResolve({ filter: rule.request }, async (args) => {
        if (!rule.importer.test(args.importer) || args.pluginData === 'real') return undefined;
        const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'real' });
        if (real.errors.length) return { errors: real.errors };
        return { path: real.path, namespace: 'lazy' };
      });
    }
    // Property reads hand out wrappers without loading (mqtt reads `require('./ws').streamBuilder`
    // on connect); calling one, or `new` on one, loads the real module and forwards.
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      resolveDir: dirname(args.path),
      loader: 'js',
      contents: `let real;
const load = () => (real ??= require(${JSON.stringify(args.path)}));
const forward = (target) => function (...a) { return new.target ? Reflect.construct(target(), a) : Reflect.apply(target(), this, a); };
module.exports = new Proxy(forward(load), {
  get: (_, key) => (key === '__esModule' ? true : typeof key === 'symbol' || key === 'then' ? undefined : forward(() => load()[key])),
});`,
    }));
  },
};

/**
 * readable-stream is a copy of node's own streams for browsers and old nodes; on node 20 it
 * documents READABLE_STREAM=disable to hand back node's. Resolving it to node's directly does
 * that and keeps its 80 KB copy out of the bundle.
 */
const nodeStreams = {
  name: 'node-streams',
  setup(b) {
    b.onResolve({ filter: /^readable-stream$/ }, () => ({ path: 'readable-stream', namespace: 'node-streams' }));
    b.onLoad({ filter: /.*/, namespace: 'node-streams' }, () => ({ contents: "module.exports = require('node:stream');", loader: 'js' }));
  },
};

/**
 * Builds the bundle and its launcher into outDir; returns their paths. appDir is the installed
 * tree whose agent/ and protocol/ files it reads at run time (default: this checkout).
 */
export async function buildAgentBundle({ outDir = DEFAULT_OUT_DIR, appDir = ROOT } = {}) {
  outDir = resolve(outDir);
  appDir = resolve(appDir);
  await mkdir(outDir, { recursive: true });
  const bundle = join(outDir, 'banyan-agent.mjs');
  await build({
    // Three self-contained files (no shared chunks): the agent, and beside it what it loads only
    // when needed, so the agent's own file carries neither library (agent/bundled.ts finds them).
    entryPoints: {
      'banyan-agent': join(ROOT, 'agent/cli/main.ts'),
      // the host inventory child (systeminformation), run at start and on a hardware change
      'banyan-inventory': join(ROOT, 'agent/inventory/child.ts'),
      // the node-os-utils meter, imported only with hostMeter: node-os-utils
      'banyan-os-utils': join(ROOT, 'agent/host-os-utils.ts'),
    },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    // CommonJS dependencies (mqtt, protobufjs) call require(); ESM output has none of its own.
    // __BANYAN_BUNDLE_URL__: the file's own URL, which source files' import.meta.url no longer is.
    banner: {
      js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url); const __BANYAN_BUNDLE_URL__ = import.meta.url;",
    },
    plugins: [sourceUrls(outDir, appDir), lazyModules, nodeStreams],
    logLevel: 'warning',
  });
  const launcher = join(outDir, 'banyan-agent');
  await writeFile(
    launcher,
    `#!/bin/sh
# The Banyan edge agent (agent, detect, bench), built by deploy/bundle/agent-bundle.mjs.
# BANYAN_NODE picks the node binary (default: node on PATH). Stack traces name minified
# functions; add --enable-source-maps after the flags below to map them to the sources.
node="\${BANYAN_NODE:-node}"
command -v "$node" >/dev/null 2>&1 || { echo "banyan-agent: cannot run $node; install Node.js 20 or newer, or set BANYAN_NODE to its path" >&2; exit 127; }
# glibc allocator settings for the agent process only, unless set already (AGENT_MALLOC_ENV).
if [ -z "\${MALLOC_MMAP_THRESHOLD_+x}\${MALLOC_ARENA_MAX+x}" ]; then
  export ${Object.entries(AGENT_MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} BANYAN_AGENT_ONLY_ENV="${Object.keys(AGENT_MALLOC_ENV).join(' ')}"
fi
# Resolves a symlink to itself when readlink is there; needs no other tool on PATH.
self="$(readlink -f "$0" 2>/dev/null || echo "$0")"
exec "$node" ${AGENT_NODE_FLAGS.join(' ')} "\${self%/*}/banyan-agent.mjs" "$@"
`,
  );
  await chmod(launcher, 0o755);
  return { bundle, launcher };
}
