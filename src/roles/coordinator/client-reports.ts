/**
 * The end of a federated run, failed (`failRun`) or done: each host answers `client-report` (per hosted client: local test accuracy
 * under the global model and, for pFedACnnL, under its personal model), and the run is done when the final
 * evaluation and every remaining host's report are in. Shared by the analytic and the FedAvg flows.
 */
import type { PeerId } from '../../core/ids.ts';
import type { ClientReportMsg } from '../../protocol/messages.ts';
import { CLIENT_REPORT_COLUMNS } from '../../protocol/messages.ts';
import { log, send, type CommonCommand } from '../commands.ts';
import type { ClientReport, CoordinatorState } from './state.ts';

export type ReportCommand = CommonCommand | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string };

export interface ReportOut {
  readonly state: CoordinatorState;
  readonly commands: ReportCommand[];
}

export type ReportVerdict = { readonly kind: 'ok'; readonly out: ReportOut } | { readonly kind: 'ignore' | 'evict'; readonly reason: string };

const isAccuracy = (x: number): boolean => x >= 0 && x <= 1;

/** Checks one host's report against the clients it hosts; a report that does not fit evicts the host. */
export function acceptClientReport(s: CoordinatorState, from: PeerId, m: ClientReportMsg, now: number): ReportVerdict {
  if (m.runId !== s.config.runId || s.phase !== 'evaluating-final' || !s.awaitingReports.includes(from)) return { kind: 'ignore', reason: `ignored unexpected client-report from ${from}` };
  const mine = new Set(s.clients.filter((c) => c.host === from).map((c) => c.id));
  const rows = m.clients.data;
  const k = rows.length / CLIENT_REPORT_COLUMNS;
  if (!(rows instanceof Float64Array) || k !== mine.size) return { kind: 'evict', reason: `client-report for ${k} clients; ${from} hosts ${mine.size}` };
  const reports: Record<number, ClientReport> = { ...s.clientReports };
  for (let i = 0; i < k; i++) {
    const [id = NaN, trainRows = NaN, globalAccuracy = NaN, personalAccuracy = NaN, lambda = NaN, group = NaN] = rows.subarray(i * CLIENT_REPORT_COLUMNS, (i + 1) * CLIENT_REPORT_COLUMNS);
    // NaN accuracy: the client has no local test rows (too few of its classes to hold any out).
    const fine = mine.has(id) && Number.isSafeInteger(trainRows) && trainRows >= 0 && (Number.isNaN(globalAccuracy) || isAccuracy(globalAccuracy))
      && (Number.isNaN(personalAccuracy) || isAccuracy(personalAccuracy)) && (Number.isNaN(lambda) || lambda >= 0) && Number.isSafeInteger(group) && group >= 0;
    if (!fine) return { kind: 'evict', reason: `client-report row ${i} is not a valid report of one of its clients` };
    reports[id] = { trainRows, globalAccuracy, personalAccuracy, lambda, group };
  }
  const next: CoordinatorState = { ...s, clientReports: reports, awaitingReports: s.awaitingReports.filter((id) => id !== from) };
  return { kind: 'ok', out: maybeFinish(next, now) };
}

/** Ends a federated run as failed: every member is told why (shared by the analytic, masked and FedAvg flows). */
export function failRun(s: CoordinatorState, reason: string): ReportOut {
  const fin: CoordinatorState = { ...s, phase: 'failed', failure: reason };
  const doneMsgs = Object.values(s.members).filter((m) => !m.excluded).map((m) => send(m.id, { type: 'done', runId: s.config.runId, ok: false, reason }));
  return { state: fin, commands: [log('error', reason), ...doneMsgs, { type: 'finished', ok: false, reason }] };
}

/** Mean of the reported clients' local accuracies, weighted equally per client (NaN when none reported). */
export function meanLocalAccuracy(s: CoordinatorState, which: 'globalAccuracy' | 'personalAccuracy'): number {
  const values = Object.values(s.clientReports).map((r) => r[which]).filter((x) => !Number.isNaN(x));
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Ends a federated run once the final evaluation and all awaited reports are in. */
export function maybeFinish(s: CoordinatorState, now: number): ReportOut {
  if (s.phase !== 'evaluating-final' || !s.finalEvaluated || s.awaitingReports.length > 0) return { state: s, commands: [] };
  const personal = meanLocalAccuracy(s, 'personalAccuracy');
  const local = meanLocalAccuracy(s, 'globalAccuracy');
  const pct = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const reason = `${s.config.algo} finished: test accuracy ${pct(s.testAccuracy)}, mean local accuracy ${pct(local)}${Number.isNaN(personal) ? '' : `, personalised ${pct(personal)}`}`;
  const fin: CoordinatorState = { ...s, phase: 'done', endedAt: now };
  const members = Object.values(s.members).filter((m) => !m.excluded);
  const testAccuracy = Number.isFinite(s.testAccuracy) ? s.testAccuracy : null;
  return {
    state: fin,
    commands: [
      log('info', reason),
      ...members.map((m) => send(m.id, { type: 'progress', runId: s.config.runId, phase: 'done', epoch: s.epoch, step: s.step, loss: null, testAccuracy })),
      ...members.map((m) => send(m.id, { type: 'done', runId: s.config.runId, ok: true, reason })),
      { type: 'finished', ok: true, reason },
    ],
  };
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** `progress` to every non-excluded member: phase, epoch, step, loss and test accuracy (rounds-based flows). */
export function progressToMembers(s: CoordinatorState, phase: string): CommonCommand[] {
  return Object.values(s.members).filter((m) => !m.excluded).map((m) =>
    send(m.id, { type: 'progress', runId: s.config.runId, phase, epoch: s.epoch, step: s.step, loss: finiteOrNull(s.loss), testAccuracy: finiteOrNull(s.testAccuracy) }),
  );
}
