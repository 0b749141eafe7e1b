/**
 * Builds the app (`npm run build`: data assets + vite build into dist/) when dist/ is missing or older
 * than its sources, so a benchmark never measures stale code by accident.
 */
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The built pages the runner opens; if one is missing, dist/ is not a build of this tree. */
export const DIST_PAGES: readonly string[] = ['index.html', 'bench-transport.html', 'bench-backends.html'];
/** Sources that change what dist/ holds. public/data/ is an output of the build, so it is not listed. */
export const BUILD_SOURCES: readonly string[] = [
  'src', 'index.html', 'bench-transport.html', 'bench-backends.html', 'backend.html', 'vite.config.ts',
  'scripts/build-data.ts', 'package-lock.json',
];

/** Why a build is needed, or null when dist/ is up to date. Pure. */
export function buildReason(oldestDistMs: number | null, newestSourceMs: number): string | null {
  if (oldestDistMs === null) return 'dist/ is missing or incomplete';
  if (newestSourceMs > oldestDistMs) return 'dist/ is older than its sources';
  return null;
}

/** Newest modification time (ms) under `path` (a file or a folder, recursively); 0 if it does not exist. */
export async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path, { withFileTypes: true });
  const times = await Promise.all(entries.map((e) => newestMtime(join(path, e.name))));
  return Math.max(info.mtimeMs, ...times);
}

/** Oldest modification time of the built pages, or null when one is missing. */
async function oldestDistMtime(root: string): Promise<number | null> {
  const times = await Promise.all(DIST_PAGES.map((p) => stat(join(root, 'dist', p)).catch(() => undefined)));
  if (times.some((t) => t === undefined)) return null;
  return Math.min(...times.map((t) => t?.mtimeMs ?? 0));
}

/** Runs `npm run build` in `root`, output to stderr; rejects on a non-zero exit. */
function runBuild(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`npm run build exited with ${String(code)}`));
    });
  });
}

/**
 * Builds when needed (and allowed). Returns what happened, in words, for the log.
 * @throws when the build fails, or when dist/ is missing and building is not allowed.
 */
export async function ensureBuild(root: string, allowBuild: boolean): Promise<string> {
  const newest = Math.max(...(await Promise.all(BUILD_SOURCES.map((s) => newestMtime(join(root, s))))));
  const reason = buildReason(await oldestDistMtime(root), newest);
  if (reason === null) return 'dist/ is up to date; not rebuilding';
  if (!allowBuild) {
    if ((await oldestDistMtime(root)) === null) throw new Error(`${reason} and --no-build was given: run npm run build`);
    return `${reason}, but --no-build was given: benchmarking the existing build`;
  }
  process.stderr.write(`${reason}: running npm run build ...\n`);
  await runBuild(root);
  return `${reason}: rebuilt with npm run build`;
}
