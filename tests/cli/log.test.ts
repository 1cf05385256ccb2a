// npm start's logs: a short line per record at a terminal, JSON lines when piped.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cliLogger, prettyLine } from '../../cli-log.ts';

describe('cli logs', () => {
  it('turns a record into one readable line with its extra fields', () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12, 4, 31), pid: 1, hostname: 'h', name: 'banyan', part: 'orchestrator', msg: 'node lost', node: 'n-1', cause: { kind: 'crash' } }));
    expect(line).toMatch(/^\d\d:\d\d:\d\d WARN  orchestrator: node lost {2}node=n-1 cause=\{"kind":"crash"\}\n$/);
    expect(prettyLine('not json\n')).toBe('not json\n');
  });

  it('is pretty on a TTY and JSON otherwise', async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
    let out = '';
    (tty as unknown as PassThrough).on('data', (c: Buffer) => (out += c.toString()));
    cliLogger('banyan', tty).info({ port: 8080 }, 'listening');
    await new Promise((r) => setImmediate(r));
    expect(out).toMatch(/ INFO  banyan: listening {2}port=8080\n$/);
    expect(() => JSON.parse(out)).toThrow();
  });
});
