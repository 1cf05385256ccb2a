// Stamps every outgoing body with this process's identity and a per-session sequence number,
// so the orchestrator can reject duplicates, replays and reordering whatever broker sits between.
import { randomUUID } from 'node:crypto';
import { SCHEMA_VERSION, type Body, type Envelope } from '../protocol/messages.ts';

export class EnvelopeFactory {
  readonly sessionId: string;
  private seq = 0;

  constructor(
    readonly nodeId: string,
    private readonly clock: () => number = Date.now,
    sessionId?: string,
  ) {
    this.sessionId = sessionId ?? `s-${randomUUID()}`;
  }

  next(body: Body): Envelope {
    this.seq += 1;
    return {
      schemaVersion: SCHEMA_VERSION,
      msgId: randomUUID(),
      nodeId: this.nodeId,
      sessionId: this.sessionId,
      seq: this.seq,
      sentAtMs: this.clock(),
      ...body,
    } as Envelope;
  }

  /** An envelope sent again after a reconnect: same msg_id (de-dup), this session's next seq. */
  restamp(env: Envelope): Envelope {
    this.seq += 1;
    return { ...env, sessionId: this.sessionId, seq: this.seq };
  }

  /** The death certificate is composed before it is needed; it takes no sequence number. */
  will(): Envelope {
    return {
      schemaVersion: SCHEMA_VERSION,
      msgId: `will-${randomUUID()}`,
      nodeId: this.nodeId,
      sessionId: this.sessionId,
      seq: 0,
      sentAtMs: this.clock(),
      body: 'state',
      state: { status: 'OFFLINE' },
    };
  }
}
