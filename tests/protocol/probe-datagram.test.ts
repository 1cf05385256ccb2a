import { describe, expect, it } from 'vitest';
import { decodeProbeDatagram, encodeProbeDatagram, PROBE_DATAGRAM_BYTES } from '../../protocol/probe-datagram.ts';

describe('probe datagram', () => {
  const nonce = Buffer.from('0102030405060708', 'hex');

  it('round-trips a request and a reply, 80 bytes each', () => {
    for (const d of [
      { type: 'request' as const, nonce, nodeId: 'fz-n1' },
      { type: 'reply' as const, nonce, nodeId: 'a'.repeat(64) },
      { type: 'request' as const, nonce, nodeId: '' },
    ]) {
      const b = encodeProbeDatagram(d);
      expect(b.length).toBe(PROBE_DATAGRAM_BYTES);
      expect(decodeProbeDatagram(b)).toEqual(d);
    }
    expect(encodeProbeDatagram({ type: 'request', nonce, nodeId: 'x' }).subarray(0, 6).toString('hex')).toBe('424e59500101');
  });

  it('is not fooled by anything else', () => {
    const good = encodeProbeDatagram({ type: 'request', nonce, nodeId: 'fz-n1' });
    const bad = (f: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      f(b);
      return decodeProbeDatagram(b);
    };
    expect(decodeProbeDatagram(Buffer.alloc(0))).toBeNull();
    expect(decodeProbeDatagram(good.subarray(0, 79))).toBeNull();
    expect(decodeProbeDatagram(Buffer.concat([good, Buffer.alloc(1)]))).toBeNull();
    expect(bad((b) => (b[0] = 0x41))).toBeNull(); // magic
    expect(bad((b) => (b[4] = 2))).toBeNull(); // version
    expect(bad((b) => (b[5] = 3))).toBeNull(); // type
    expect(bad((b) => (b[14] = 65))).toBeNull(); // node id length
    expect(bad((b) => (b[15] = 0x2f))).toBeNull(); // '/' in the node id
    expect(bad((b) => (b[60] = 1))).toBeNull(); // padding
    expect(bad((b) => (b[79] = 1))).toBeNull(); // reserved
    expect(() => encodeProbeDatagram({ type: 'request', nonce: Buffer.alloc(4), nodeId: 'x' })).toThrow(RangeError);
    expect(() => encodeProbeDatagram({ type: 'request', nonce, nodeId: 'a/b' })).toThrow(RangeError);
  });
});
