/**
 * Any-interface captures (`tcpdump -i any`): Linux cooked v2 (SLL2) carries,
 * in every packet, the index of the interface it was seen on. Each index of
 * an SLL2 interface becomes an interface of its own, a synthetic entry in the
 * capture's interface list (`parentId` the file's interface, `ifindex` the
 * index), so every record of that index carries the synthetic id: capture
 * points, flows, TCP analysis and the packet browser split per interface with
 * no change of theirs. The readers call `resolve` for SLL2 records only.
 *
 * Ids: the first index seen on a file's interface takes that interface's own
 * id (the interface is described again, with `parentId` its own id and the
 * index: sinks replace what they hold for that id), so a one-index file keeps
 * one interface and no empty capture point is left; further indexes take the
 * next free ids of the file (dense: an interface's id is its position in the
 * list). A pcapng whose interface blocks all come before its packets keeps its
 * own ids; one that declares an interface after SLL2 packets gets that
 * interface's id shifted past the synthetic ones.
 *
 * SLL (v1) has no index: see docs/decisions/0010-any-interface-captures.md.
 */
import type { CaptureInterface, CaptureIssue, RecordSink } from './types.js';

export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
/** Most synthetic interfaces one file may make (bounded memory with a hostile file); records of further indexes stay on the file's interface. */
export const MAX_COOKED_INTERFACES = 4096;

/**
 * SLL2 header (20 bytes):
 *   0 protocol | 2 reserved | 4 interface index (32 bits, network order) | 8 ARPHRD type
 *   10 packet type | 11 address length | 12 address (8)
 */
export function sll2Ifindex(b: Uint8Array, start: number): number {
  return ((b[start + 4]! << 24) | (b[start + 5]! << 16) | (b[start + 6]! << 8) | b[start + 7]!) >>> 0;
}

export class CookedInterfaces {
  /** Per parent interface id: ifindex → synthetic id. */
  private readonly byParent: Array<Map<number, number> | undefined> = [];
  private readonly parents: Array<CaptureInterface | undefined> = [];
  private lastParent = -1;
  private lastIfindex = -1;
  private lastId = -1;
  count = 0;
  private warned = false;

  /** `allocate` hands out the file's next interface id (-1: none left). */
  constructor(private readonly file: string, private readonly sink: RecordSink, private readonly allocate: () => number) {}

  /** Every interface the reader describes goes through here too. */
  noteInterface(iface: CaptureInterface): void {
    this.parents[iface.id] = iface;
  }

  /**
   * The interface id of an SLL2 record of interface `parentId` whose packet
   * starts at `b[start]` with `caplen` bytes (the parent's id when the header
   * is cut before the index, or past MAX_COOKED_INTERFACES).
   */
  resolve(parentId: number, b: Uint8Array, start: number, caplen: number, packet: number, offset: number): number {
    if (caplen < 8) return parentId;
    const ifindex = sll2Ifindex(b, start);
    if (ifindex === this.lastIfindex && parentId === this.lastParent) return this.lastId;
    let m = this.byParent[parentId];
    if (m === undefined) m = this.byParent[parentId] = new Map();
    let id = m.get(ifindex);
    if (id === undefined) {
      const parent = this.parents[parentId];
      // The first index of an interface becomes that interface itself.
      id = m.size === 0 ? parentId : parent && this.count < MAX_COOKED_INTERFACES ? this.allocate() : -1;
      if (id < 0 || !parent) {
        if (!this.warned) {
          this.warned = true;
          const issue: CaptureIssue = { capture: this.file, packet: packet + 1, offset, layer: 'sll2',
            reason: `more than ${MAX_COOKED_INTERFACES} interface indexes in one file: packets of further indexes are kept on the file's interface`, severity: 'warning' };
          this.sink.onIssue(issue);
        }
        return parentId;
      }
      this.count++;
      m.set(ifindex, id);
      this.sink.onInterface(id === parentId ? { ...parent, parentId, ifindex } : {
        id, linkType: parent.linkType, snapLen: parent.snapLen, name: null, description: null,
        precision: parent.precision, fcsLength: parent.fcsLength, parentId, ifindex,
      });
    }
    this.lastParent = parentId;
    this.lastIfindex = ifindex;
    this.lastId = id;
    return id;
  }
}
