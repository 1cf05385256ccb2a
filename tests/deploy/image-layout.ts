// Lays out what a Dockerfile stage would hold, without a Docker engine: its COPY lines (parsed
// with dockerfile-ast, the parser dockerfile-utils is built on) copied from the repo (or from an
// earlier stage laid out the same way) into a scratch root, node_modules as `npm ci --omit=dev`
// leaves them (only packages in `dependencies`, linked to the repo's install), its ENV, and its
// ENTRYPOINT + CMD with the image's absolute paths mapped into the scratch root. Other RUN lines
// are listed, not run: the test decides which it can run (e.g. a build step with node).
import { cpSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

export interface ImageLayout {
  /** The scratch root standing in for the image's /. */
  root: string;
  /** The WORKDIR, inside root. */
  cwd: string;
  env: Record<string, string>;
  /** ENTRYPOINT then CMD, image paths mapped into root. */
  command: string[];
  /** Image paths (dest of each COPY), for the test to show what the image holds. */
  copied: string[];
  /** The stage's RUN lines other than the npm ci (which is laid out), in order, as written. */
  runs: string[];
}

export interface LayoutOptions {
  /** Which stage (by its AS name); the last one when absent. */
  stage?: string;
  /** Roots where earlier stages were laid out (and built), for COPY --from=<name>. */
  stages?: Record<string, string>;
}

interface Stage {
  name: string | null;
  instructions: Instruction[];
}

function stages(text: string): Stage[] {
  const out: Stage[] = [];
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const args = i.getArguments().map((a) => a.getValue());
      out.push({ name: args[1]?.toUpperCase() === 'AS' ? (args[2] ?? null) : null, instructions: [] });
    } else out.at(-1)?.instructions.push(i);
  }
  return out;
}

function jsonArgs(i: Instruction): string[] {
  const strings = (i as unknown as { getJSONStrings?: () => { getJSONValue(): string }[] }).getJSONStrings?.() ?? [];
  if (strings.length === 0) throw new Error(`${i.getKeyword()} must use the JSON (exec) form so no shell is needed: ${i.getTextContent()}`);
  return strings.map((s) => s.getJSONValue());
}

function workdirOf(stage: Stage): string {
  let wd = '/';
  for (const i of stage.instructions) if (i.getKeyword() === 'WORKDIR') wd = posix.resolve(wd, i.getArguments()[0]!.getValue());
  return wd;
}

/** A stage whose only job is `npm ci --omit=dev`: its node_modules holds the production dependencies. */
function isProductionInstall(stage: Stage): boolean {
  return stage.instructions.some((i) => i.getKeyword() === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.getArgumentsContent() ?? ''));
}

function linkProductionModules(repo: string, into: string): void {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  mkdirSync(into, { recursive: true });
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const at = join(into, name);
    mkdirSync(join(at, '..'), { recursive: true });
    symlinkSync(join(repo, 'node_modules', name), at, 'dir');
  }
}

export function layOutImage(dockerfile: string, repo: string, root: string, opts: LayoutOptions = {}): ImageLayout {
  const all = stages(readFileSync(dockerfile, 'utf8'));
  const final = opts.stage === undefined ? all.at(-1) : all.find((s) => s.name === opts.stage);
  if (!final) throw new Error(`${dockerfile} has no stage ${opts.stage ?? '(no FROM)'}`);
  let wd = '/';
  const env: Record<string, string> = {};
  const copied: string[] = [];
  const runs: string[] = [];
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  const inRoot = (imagePath: string) => join(root, imagePath);
  for (const i of final.instructions) {
    const args = i.getArguments().map((a) => a.getValue());
    switch (i.getKeyword()) {
      case 'WORKDIR':
        wd = posix.resolve(wd, args[0]!);
        mkdirSync(inRoot(wd), { recursive: true });
        break;
      case 'ENV':
        for (const p of (i as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) env[p.getName()] = p.getValue() ?? '';
        break;
      case 'VOLUME':
        for (const v of jsonArgs(i)) mkdirSync(inRoot(v), { recursive: true });
        break;
      case 'ENTRYPOINT':
        entrypoint = jsonArgs(i);
        break;
      case 'CMD':
        cmd = jsonArgs(i);
        break;
      case 'RUN': {
        const text = i.getArgumentsContent() ?? '';
        if (/\bnpm ci\b.*--omit=dev/.test(text)) linkProductionModules(repo, inRoot(posix.join(wd, 'node_modules')));
        else runs.push(text);
        break;
      }
      case 'ADD':
        throw new Error(`ADD is not laid out; use COPY (${i.getTextContent()})`);
      case 'COPY': {
        const dest = posix.resolve(wd, args.at(-1)!);
        const from = (i as unknown as { getFromFlag(): { getValue(): string } | null }).getFromFlag()?.getValue();
        if (from !== undefined) {
          const stage = all.find((s) => s.name === from);
          const src = args[0]!;
          const built = opts.stages?.[from];
          if (built !== undefined && args.length === 2) {
            cpSync(join(built, src), inRoot(dest), { recursive: true });
            copied.push(dest);
            break;
          }
          if (!stage || !isProductionInstall(stage) || args.length !== 2 || src !== posix.join(workdirOf(stage), 'node_modules')) {
            throw new Error(`cannot lay out COPY --from=${from} ${args.join(' ')}: lay out stage ${from} first and pass it in stages, or copy its npm ci --omit=dev node_modules`);
          }
          linkProductionModules(repo, inRoot(dest));
          copied.push(dest);
          break;
        }
        const sources = args.slice(0, -1);
        const intoDir = args.at(-1)!.endsWith('/') || sources.length > 1;
        for (const src of sources) {
          const isDir = statSync(join(repo, src)).isDirectory();
          // Docker copies a directory's contents, and a file into a directory dest by its name.
          const target = !isDir && intoDir ? posix.join(dest, basename(src)) : dest;
          cpSync(join(repo, src), inRoot(target), { recursive: true });
          copied.push(target);
        }
        break;
      }
    }
  }
  const mapped = (a: string) => (a.startsWith('/') && a !== '/' ? inRoot(a) : a);
  return { root, cwd: inRoot(wd), env, command: [...entrypoint, ...cmd].map(mapped), copied, runs };
}
