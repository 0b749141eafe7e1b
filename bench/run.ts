/**
 * `npm run bench -- --suite transport|backends|baseline|analytic|daso|dho2|chaos|all [--tabs N] [--out DIR] [--seed S] [--quick]`
 *
 * Builds the app if dist/ is stale, starts the swarm server (app + PeerServer) on a free loopback port,
 * launches headless Chromium, runs the suites one after another (never in parallel: every tab shares the
 * same cores), and writes DIR/<suite>.json and DIR/<suite>.html. Exit code 1 if a suite crashed.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer, type RunningServer } from '../server/start.ts';
import { launchBrowser } from './browser-driver.ts';
import { parseBenchArgs, USAGE, type BenchOptions } from './cli-args.ts';
import { ensureBuild } from './ensure-build.ts';
import { machineInfo } from './machine-info.ts';
import { ProgressBar } from './progress-bar.ts';
import type { SuiteName, SuiteResult } from './result-types.ts';
import { analyticSuite } from './suite-analytic.ts';
import { backendsSuite } from './suite-backends.ts';
import { baselineSuite } from './suite-baseline.ts';
import { chaosSuite } from './suite-chaos.ts';
import { dasoSuite } from './suite-daso.ts';
import { dho2Suite } from './suite-dho2.ts';
import type { Suite, SuiteContext, SuiteOutcome } from './suite-context.ts';
import { transportSuite } from './suite-transport.ts';
import { writeSuiteResult } from './write-results.ts';
import type { Browser } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '..');
const SUITES: Readonly<Record<SuiteName, Suite>> = { transport: transportSuite, backends: backendsSuite, baseline: baselineSuite, analytic: analyticSuite, daso: dasoSuite, dho2: dho2Suite, chaos: chaosSuite };
/** Every tab of a run connects from 127.0.0.1; the server's default per-IP cap (64) is for LAN clients. */
const MAX_CONN_PER_IP = 1024;

const say = (text: string): void => { process.stderr.write(`${text}\n`); };

/** Runs one suite; a crash becomes a result with the error as its only note. */
async function runSuite(name: SuiteName, ctx: SuiteContext, command: string, chromium: string): Promise<{ result: SuiteResult; crashed: boolean }> {
  const startedAt = new Date().toISOString();
  const load0 = loadavg()[0] ?? 0;
  let outcome: SuiteOutcome;
  let crashed = false;
  try {
    outcome = await SUITES[name](ctx);
  } catch (e) {
    crashed = true;
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    ctx.progress.note(`suite ${name} crashed: ${text}`);
    outcome = { runs: [], ratios: {}, ratioTargets: {}, notes: [`suite crashed: ${text}`] };
  }
  const notes = [`1-minute load average: ${load0.toFixed(2)} at the start, ${loadavg()[0]?.toFixed(2) ?? '?'} at the end (other processes compete for the same cores)`, ...outcome.notes];
  return { result: { suite: name, machine: machineInfo(chromium), startedAt, command, ...outcome, notes }, crashed };
}

function summaryLines(r: SuiteResult): string[] {
  return Object.entries(r.ratios).map(([k, v]) => {
    const t = r.ratioTargets[k];
    const target = t?.target == null ? '' : ` (target ${t.direction === 'min' ? '>=' : '<='} ${t.target})`;
    return `  ${k} = ${v === null ? 'n/a' : v.toFixed(3)}${target}`;
  });
}

/** Runs every requested suite against one server and one browser; resolves with the exit code. */
async function runAll(o: BenchOptions, command: string): Promise<number> {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const progress = new ProgressBar(process.stderr, 0);
  const cleanup = async (): Promise<void> => {
    progress.stop();
    await browser?.close().catch(() => undefined);
    await server?.close();
  };
  process.once('SIGINT', () => { say('\ninterrupted: closing the browser and the server'); void cleanup().finally(() => process.exit(130)); });
  try {
    server = await startServer({
      port: 0, host: '127.0.0.1', distDir: join(ROOT, 'dist'), lanAddresses: [], maxConnPerIp: MAX_CONN_PER_IP,
      // Its own folder: the app's certificate in .swarm/tls covers LAN addresses that this loopback server omits.
      tls: { kind: 'self-signed', dir: join(ROOT, '.swarm', 'bench-tls') },
    });
    browser = await launchBrowser();
    const ctx: SuiteContext = { browser, baseUrl: `http://127.0.0.1:${server.port}`, options: o, progress };
    say(`server on ${ctx.baseUrl}, Chromium ${browser.version()}, suites: ${o.suites.join(', ')}${o.quick ? ' (quick)' : ''}`);
    let crashed = false;
    for (const name of o.suites) {
      const r = await runSuite(name, ctx, command, browser.version());
      crashed ||= r.crashed;
      const files = await writeSuiteResult(o.out, r.result);
      progress.note([`${name}: wrote ${files.json} and ${files.html}`, ...summaryLines(r.result)].join('\n'));
    }
    return crashed ? 1 : 0;
  } finally {
    await cleanup();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if (!parsed.ok) {
    say(`${parsed.error}\n${USAGE}`);
    return 2;
  }
  if (parsed.value.help) {
    say(USAGE);
    return 0;
  }
  say(await ensureBuild(ROOT, parsed.value.build));
  return runAll(parsed.value, ['npm run bench --', ...argv].join(' '));
}

/**
 * Exits explicitly once everything is closed: the `peer` package keeps two housekeeping timers running
 * after its server is closed (peer 1.0.2), which would keep this process alive forever.
 */
function exit(code: number): void {
  process.stderr.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  say(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  exit(1);
});
