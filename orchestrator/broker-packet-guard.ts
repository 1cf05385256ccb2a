// The embedded broker's maximum packet size. aedes has no such setting: its parser buffers a
// packet whole, however big it says it is, before anything can refuse it. This sits between the
// socket and aedes and reads only each packet's fixed header (type byte + remaining length), so a
// packet that announces more than the limit closes the connection before its body is buffered —
// what Mosquitto does with `max_packet_size`.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** Scans MQTT fixed headers across chunk boundaries; returns the first oversized packet's size. */
export class PacketSizeScanner {
  private state: 'type' | 'length' | 'body' | 'off' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly limit: number) {}

  /** The size of a packet above the limit that this chunk starts announcing, or null. */
  scan(chunk: Uint8Array): number | null {
    let i = 0;
    while (i < chunk.length && this.state !== 'off') {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const b = chunk[i++]!;
        this.length += (b & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if ((b & 0x80) === 0) {
          const total = 1 + this.lengthBytes + this.length;
          if (total > this.limit) return total;
          this.remaining = this.length;
          this.state = this.remaining > 0 ? 'body' : 'type';
        } else if (this.lengthBytes === 4) {
          // A malformed length: aedes' parser refuses it; nothing more to read here.
          this.state = 'off';
        }
      } else {
        const skip = Math.min(this.remaining, chunk.length - i);
        i += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    return null;
  }
}

/** Closes the connection; aedes reports it as a client error, which the caller has already counted. */
export class PacketTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`packet of ${bytes} bytes is above the maximum packet size of ${limit}`);
    this.name = 'PacketTooLargeError';
  }
}

/**
 * The socket as aedes sees it, with oversized packets cut off: `onTooLarge` is told the size, and
 * the connection is closed. Writes and backpressure pass straight through to the socket.
 */
export function guardPacketSize(socket: Socket, limit: number, onTooLarge: (bytes: number) => void): Duplex {
  const scanner = new PacketSizeScanner(limit);
  const guarded = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const tooLarge = scanner.scan(chunk);
    if (tooLarge !== null) {
      socket.pause();
      onTooLarge(tooLarge);
      guarded.destroy(new PacketTooLargeError(tooLarge, limit));
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  socket.on('end', () => guarded.push(null));
  socket.on('error', (e) => guarded.destroy(e));
  // A socket gone without an 'end' still has to end the client in aedes.
  socket.on('close', () => {
    if (!guarded.destroyed && !guarded.readableEnded) guarded.push(null);
  });
  return guarded;
}
