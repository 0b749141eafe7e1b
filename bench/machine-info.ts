/** What machine a result was measured on (cores matter most: every tab of a run shares them). */
import { cpus, release, totalmem, type as osType, arch } from 'node:os';
import type { MachineInfo } from './result-types.ts';

/** Bytes per GiB. */
const GIB = 1024 ** 3;

/**
 * Describes this machine and the browser under test.
 * @param chromiumVersion `browser.version()` of the launched Chromium.
 */
export function machineInfo(chromiumVersion: string): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((totalmem() / GIB) * 10) / 10,
    node: process.version,
    chromium: chromiumVersion,
    os: `${osType()} ${release()} ${arch()}`,
  };
}
