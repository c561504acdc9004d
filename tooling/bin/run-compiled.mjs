#!/usr/bin/env node
/**
 * Runs one of the product's entry points (`node tooling/bin/run-compiled.mjs src/bin/job.ts …`) as
 * JavaScript compiled from `src/`, so a person's `npm run job` does not pay tsx's start-up (its
 * loader and a transform per module: about half a second) on every run. It is plain JavaScript
 * because it must start before anything can compile TypeScript.
 *
 * The compiled copy lives in `dist/run/<key>/`, where the key is made from every source file's
 * path, size and modification time: a changed, added or removed file makes a new key, and that
 * run compiles again with esbuild (the same per-file transform tsx applies, about 0.1 s for all of
 * `src/`). A clean clone therefore needs no build step. Concurrent first runs each compile into a
 * folder of their own and the first rename wins. If compiling is impossible (esbuild missing, a
 * syntax error), the entry runs through tsx as before and says why on stderr.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'dist', 'run');
/** Old builds are removed only when this old: a run that started from one may still import from it. */
const KEEP_OLD_BUILDS_MS = 60 * 60_000;

/** Every TypeScript source under `dir`, as paths relative to the project root, in a stable order. */
function sources(dir) {
  const found = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found.sort();
}

/** What the compiled copy depends on: the sources, the compiler settings and version, this file. */
function buildKey(files) {
  const hash = createHash('sha256');
  const esbuildPackage = join(ROOT, 'node_modules', 'esbuild', 'package.json');
  const inputs = [...files, 'tsconfig.json', relative(ROOT, fileURLToPath(import.meta.url))];
  for (const file of inputs) {
    const stat = statSync(join(ROOT, file));
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  if (existsSync(esbuildPackage)) hash.update(JSON.parse(readFileSync(esbuildPackage, 'utf8')).version);
  return hash.digest('hex').slice(0, 16);
}

async function compile(files, into) {
  const { build } = await import('esbuild');
  const staging = `${into}.${process.pid}.tmp`;
  await build({
    entryPoints: files.map((file) => join(ROOT, file)),
    outdir: staging,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(ROOT, 'tsconfig.json'),
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  try {
    renameSync(staging, into);
  } catch (err) {
    // Another run compiled the same sources first: its copy is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(into)) throw err;
  }
  removeOldBuilds(into);
}

function removeOldBuilds(keep) {
  for (const entry of readdirSync(OUT)) {
    const path = join(OUT, entry);
    if (path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_OLD_BUILDS_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another run.
    }
  }
}

const entry = process.argv[2];
if (!entry || !entry.startsWith(`src${sep}`) || !entry.endsWith('.ts')) {
  process.stderr.write('usage: node tooling/bin/run-compiled.mjs src/bin/ENTRY.ts [ARGS…]\n');
  process.exit(2);
}
// The entry sees the command line tsx would give it: its own path, then its arguments.
process.argv.splice(1, 2, join(ROOT, entry));

let compiled;
try {
  const files = sources('src');
  const into = join(OUT, buildKey(files));
  compiled = join(into, entry.replace(/\.ts$/, '.js'));
  if (!existsSync(compiled)) await compile(files, into);
} catch (err) {
  process.stderr.write(
    `(running ${entry} through tsx: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})\n`,
  );
  const { register } = await import('tsx/esm/api');
  register();
  compiled = join(ROOT, entry);
}
await import(pathToFileURL(compiled).href);
