// Stamps every outgoing body with this process's identity and a per-session sequence number,
// so the orchestrator can reject duplicates, replays and reordering whatever broker sits between.
import { readFileSync } from 'node:fs';
import { SCHEMA_VERSION, type Body, type Envelope } from '../protocol/messages.ts';

/**
 * A random session id from the kernel's UUID source. Message ids are derived from it and the
 * sequence number, so the agent needs no node:crypto (~1 MB of its resident memory).
 */
function newSessionId(): string {
  try {
    return `s-${readFileSync('/proc/sys/kernel/random/uuid', 'utf8').trim()}`;
  } catch {
    return `s-${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2)}`;
  }
}

export class EnvelopeFactory {
  readonly sessionId: string;
  private seq = 0;
  private wills = 0;

  constructor(
    readonly nodeId: string,
    private readonly clock: () => number = Date.now,
    sessionId?: string,
  ) {
    this.sessionId = sessionId ?? newSessionId();
  }

  next(body: Body): Envelope {
    this.seq += 1;
    return {
      schemaVersion: SCHEMA_VERSION,
      // Unique: a session's seq only grows, and a restamped envelope keeps its first id.
      msgId: `${this.sessionId}.${this.seq}`,
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
      // One per connection: a will delivered once must not make the next one a duplicate.
      msgId: `will-${this.sessionId}.${++this.wills}`,
      nodeId: this.nodeId,
      sessionId: this.sessionId,
      seq: 0,
      sentAtMs: this.clock(),
      body: 'state',
      state: { status: 'OFFLINE' },
    };
  }
}
