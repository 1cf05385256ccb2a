// The peer-probe datagram: what one agent's prober sends to another agent's probe responder over
// UDP, and the echo it gets back. Fixed size and layout, so a responder answers only a
// well-formed probe, and a reply is never larger than its request (no amplification):
//
//   offset size  field
//        0    4  magic "BNYP" (0x42 0x4E 0x59 0x50)
//        4    1  version, 1
//        5    1  type: 1 request, 2 reply
//        6    8  nonce, chosen by the prober, echoed unchanged
//       14    1  node id length n, 0..64
//       15   64  node id, ASCII [A-Za-z0-9._-], zero-padded: in a request the node the prober
//                means to reach (0 = any), in a reply the responder's own
//       79    1  reserved, 0
//   total 80 bytes; any other size, magic, version or type is not a probe.
import { isValidSegment } from './topics.ts';

/** Not Serf/memberlist's or Docker Swarm's 7946, which edge hosts may already run. */
export const DEFAULT_PROBE_PORT = 7947;
export const PROBE_DATAGRAM_BYTES = 80;
export const PROBE_NONCE_BYTES = 8;

const MAGIC = Buffer.from('BNYP', 'ascii');
const VERSION = 1;
const TYPES = { request: 1, reply: 2 } as const;
const NODE_OFFSET = 15;
const NODE_MAX = 64;

export interface ProbeDatagram {
  type: 'request' | 'reply';
  /** PROBE_NONCE_BYTES bytes. */
  nonce: Buffer;
  /** '' in a request that names no node. */
  nodeId: string;
}

export function encodeProbeDatagram(d: ProbeDatagram): Buffer {
  if (d.nonce.length !== PROBE_NONCE_BYTES) throw new RangeError(`a probe nonce is ${PROBE_NONCE_BYTES} bytes, not ${d.nonce.length}`);
  if (d.nodeId !== '' && !isValidSegment(d.nodeId)) throw new RangeError(`node id "${d.nodeId}" must be 1-64 of [A-Za-z0-9._-]`);
  const b = Buffer.alloc(PROBE_DATAGRAM_BYTES);
  MAGIC.copy(b, 0);
  b[4] = VERSION;
  b[5] = TYPES[d.type];
  d.nonce.copy(b, 6);
  b[14] = d.nodeId.length;
  b.write(d.nodeId, NODE_OFFSET, 'ascii');
  return b;
}

/** The datagram, or null when it is not a well-formed probe (never throws: this reads the network). */
export function decodeProbeDatagram(b: Buffer): ProbeDatagram | null {
  if (b.length !== PROBE_DATAGRAM_BYTES || !b.subarray(0, 4).equals(MAGIC) || b[4] !== VERSION) return null;
  const type = b[5] === TYPES.request ? 'request' : b[5] === TYPES.reply ? 'reply' : null;
  const n = b[14]!;
  if (!type || n > NODE_MAX || b[79] !== 0) return null;
  const nodeId = b.toString('ascii', NODE_OFFSET, NODE_OFFSET + n);
  if (n > 0 && !isValidSegment(nodeId)) return null;
  if (b.subarray(NODE_OFFSET + n, 79).some((x) => x !== 0)) return null;
  return { type, nonce: Buffer.from(b.subarray(6, 6 + PROBE_NONCE_BYTES)), nodeId };
}
