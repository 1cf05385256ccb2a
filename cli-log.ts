// Logs for a person at a terminal, JSON for everything else: `npm start` in a terminal prints
// "12:04:31 WARN  orchestrator: node lost …" lines around its banner; piped or under systemd the
// same records stay one JSON object per line, for log shippers.
import pino, { type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'part', 'v']);

export function cliLogger(name: string, stream: NodeJS.WriteStream & { fd?: number } = process.stderr): Logger {
  const level = process.env.LOG_LEVEL ?? 'info';
  if (!stream.isTTY) return pino({ name, level }, pino.destination(stream.fd ?? 2));
  return pino({ name, level }, { write: (line: string) => void stream.write(prettyLine(line)) });
}

/** One pino JSON record as a short human line; a line that is not a record passes through. */
export function prettyLine(json: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof r.time === 'number' ? new Date(r.time).toTimeString().slice(0, 8) : '--:--:--';
  const level = (LEVELS[r.level as number] ?? String(r.level)).padEnd(5);
  const who = typeof r.part === 'string' ? r.part : typeof r.name === 'string' ? r.name : '';
  const fields = Object.entries(r)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${time} ${level} ${who ? `${who}: ` : ''}${String(r.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}
