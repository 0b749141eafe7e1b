import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { listLanIPv4 } from './lan-addresses.ts';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/24`,
});

describe('listLanIPv4', () => {
  it('keeps external IPv4 only, once each, in order', () => {
    const v6: NetworkInterfaceInfo = { ...v4('fe80::1'), family: 'IPv6', scopeid: 1 };
    const table = {
      lo: [v4('127.0.0.1', true)],
      eth0: [v4('192.168.1.20'), v6],
      wlan0: [v4('10.0.0.5'), v4('169.254.3.3'), v4('192.168.1.20')],
      none: undefined,
    };
    expect(listLanIPv4(table)).toEqual(['192.168.1.20', '10.0.0.5']);
  });

  it('reads the real interfaces by default and returns plain IPv4 strings', () => {
    for (const ip of listLanIPv4()) expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});
