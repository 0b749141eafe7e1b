/**
 * The machine's LAN IPv4 addresses, as other devices on the network would dial them.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** The shape of `os.networkInterfaces()`, injectable for tests. */
export type InterfaceTable = Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;

/**
 * Every non-internal IPv4 address, in interface order, without duplicates. Link-local 169.254.x.x
 * addresses are left out: they appear on cables with no DHCP and are not reachable from phones.
 */
export function listLanIPv4(table: InterfaceTable = networkInterfaces()): readonly string[] {
  const out: string[] = [];
  for (const infos of Object.values(table)) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4' || info.internal || info.address.startsWith('169.254.')) continue;
      if (!out.includes(info.address)) out.push(info.address);
    }
  }
  return out;
}
