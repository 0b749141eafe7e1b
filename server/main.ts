/**
 * CLI entry: `tsx server/main.ts [--port N] [--host ADDR] ...` (see --help). Prints where to connect,
 * a QR code for phones, and `SWARM_LISTENING port=<n>` for harnesses; closes cleanly on SIGINT/SIGTERM.
 */
import QRCode from 'qrcode';
import { formatBanner, listeningLine, qrTarget } from './banner.ts';
import { CLI_USAGE, parseCliArgs, type ServeOptions } from './cli-args.ts';
import { DistMissingError, startServer, type RunningServer } from './start.ts';
import { CertificateError } from './tls-cert.ts';

/** Exit code for bad usage, missing build or unusable certificate. */
const EXIT_FAILURE = 1;
/** A clean close should take milliseconds; after this, exit anyway. */
const FORCED_EXIT_AFTER_MS = 5_000;

async function printBanner(server: RunningServer, quiet: boolean): Promise<void> {
  console.log(formatBanner(server));
  if (!quiet) {
    const url = qrTarget(server);
    const qr = await QRCode.toString(url, { type: 'terminal', small: true });
    console.log(`\n  Scan to open ${url}\n${qr}`);
  }
  console.log(listeningLine(server.port));
}

function closeOnSignals(server: RunningServer): void {
  const stop = (signal: NodeJS.Signals): void => {
    console.log(`\n${signal}: closing`);
    setTimeout(() => process.exit(EXIT_FAILURE), FORCED_EXIT_AFTER_MS).unref();
    // The PeerServer keeps internal timers that it cannot stop, so exit explicitly once closed.
    server.close().then(
      () => process.exit(0),
      () => process.exit(EXIT_FAILURE),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function explain(e: unknown): string {
  if (e instanceof DistMissingError || e instanceof CertificateError) return e.message;
  if (e instanceof Error && 'code' in e && e.code === 'EADDRINUSE') return `${e.message}: pick another --port`;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

async function serve(options: ServeOptions): Promise<void> {
  try {
    const server = await startServer({
      ...options,
      onPeerError: (e) => {
        console.warn(`peer server: ${e.message}`);
      },
    });
    closeOnSignals(server);
    await printBanner(server, options.quiet);
  } catch (e) {
    console.error(`swarm server: ${explain(e)}`);
    process.exit(EXIT_FAILURE);
  }
}

const command = parseCliArgs(process.argv.slice(2), process.env);
if (!command.ok) {
  console.error(`swarm server: ${command.error}\n\n${CLI_USAGE}`);
  process.exit(EXIT_FAILURE);
} else if (command.value.kind === 'help') {
  console.log(CLI_USAGE);
} else {
  await serve(command.value.options);
}
