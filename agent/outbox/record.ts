// One outbox item on disk: [u32 body length][u32 crc32 of body][body], body =
// [u64 seq][u8 kind][u8 channel length][channel][u16 topic length][topic][payload].
// The length + CRC let a reopen find where a crash tore the last write.
import { crc32 } from 'node:zlib';

export const OUTBOX_KINDS = ['telemetry', 'latency', 'event', 'bench'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** Periodic samples a newer sample supersedes; events and bench results are never dropped. */
export const DROPPABLE: ReadonlySet<OutboxKind> = new Set(['telemetry', 'latency']);

export interface OutboxItem {
  channel: string;
  topic: string;
  payload: Uint8Array;
  kind: OutboxKind;
}

export interface StoredItem extends OutboxItem {
  seq: number;
}

const HEADER = 8;

export function encodeRecord(seq: number, item: OutboxItem): Buffer {
  const channel = Buffer.from(item.channel, 'utf8');
  const topic = Buffer.from(item.topic, 'utf8');
  if (channel.length > 0xff) throw new RangeError(`channel "${item.channel}" is longer than 255 bytes`);
  if (topic.length > 0xffff) throw new RangeError('topic is longer than 65535 bytes');
  const bodyLen = 8 + 1 + 1 + channel.length + 2 + topic.length + item.payload.length;
  const buf = Buffer.allocUnsafe(HEADER + bodyLen);
  let o = HEADER;
  buf.writeBigUInt64LE(BigInt(seq), o);
  o += 8;
  buf.writeUInt8(OUTBOX_KINDS.indexOf(item.kind), o++);
  buf.writeUInt8(channel.length, o++);
  o += channel.copy(buf, o);
  buf.writeUInt16LE(topic.length, o);
  o += 2;
  o += topic.copy(buf, o);
  buf.set(item.payload, o);
  buf.writeUInt32LE(bodyLen, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4);
  return buf;
}

export interface ParsedRecord {
  seq: number;
  kind: OutboxKind;
  offset: number;
  size: number;
}

/** Every whole, intact record from the start of buf; `validBytes` is where the first bad one begins. */
export function scanRecords(buf: Buffer): { records: ParsedRecord[]; validBytes: number } {
  const records: ParsedRecord[] = [];
  let o = 0;
  while (o + HEADER <= buf.length) {
    const bodyLen = buf.readUInt32LE(o);
    if (bodyLen < 12 || o + HEADER + bodyLen > buf.length) break;
    const body = buf.subarray(o + HEADER, o + HEADER + bodyLen);
    if (crc32(body) !== buf.readUInt32LE(o + 4)) break;
    const kind = OUTBOX_KINDS[body.readUInt8(8)];
    if (!kind) break;
    records.push({ seq: Number(body.readBigUInt64LE(0)), kind, offset: o, size: HEADER + bodyLen });
    o += HEADER + bodyLen;
  }
  return { records, validBytes: o };
}

export function decodeRecord(buf: Buffer): StoredItem {
  const body = buf.subarray(HEADER);
  let o = 0;
  const seq = Number(body.readBigUInt64LE(o));
  o += 8;
  const kind = OUTBOX_KINDS[body.readUInt8(o++)]!;
  const chanLen = body.readUInt8(o++);
  const channel = body.toString('utf8', o, o + chanLen);
  o += chanLen;
  const topicLen = body.readUInt16LE(o);
  o += 2;
  const topic = body.toString('utf8', o, o + topicLen);
  o += topicLen;
  return { seq, kind, channel, topic, payload: new Uint8Array(body.subarray(o)) };
}
