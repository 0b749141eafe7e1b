/**
 * Which links a DASO worker's link emulation slows down (transport/link-emulation.ts): links to workers of
 * other groups get the global profile; links inside the group and to the coordinator (control messages)
 * stay undelayed. Until the plan names the groups, every link is undelayed.
 *
 * @example
 * const links = new GroupLinks(self, { latencyMs: 50, bytesPerSecond: 10e6 });
 * const transport = createEmulatedTransport(net, { links: (p) => links.profileFor(p) });
 * new WorkerRuntime({ transport, groupListener: links, … });
 */
import type { DeviceGroup } from '../../core/daso/groups.ts';
import type { PeerId } from '../../core/ids.ts';
import type { LinkProfile } from '../../transport/link-emulation.ts';
import type { GroupListener } from './daso-host.ts';

export class GroupLinks implements GroupListener {
  private groupOf = new Map<string, number>();

  constructor(private readonly self: PeerId, private readonly global: LinkProfile) {}

  setGroups(groups: readonly DeviceGroup[]): void {
    this.groupOf = new Map(groups.flatMap((g, i) => g.members.map((m) => [m, i] as const)));
  }

  /** The emulated profile of the link to `peer`: the global one across groups, none otherwise. */
  profileFor(peer: PeerId): LinkProfile | null {
    const mine = this.groupOf.get(this.self);
    const theirs = this.groupOf.get(peer);
    return mine !== undefined && theirs !== undefined && mine !== theirs ? this.global : null;
  }
}
