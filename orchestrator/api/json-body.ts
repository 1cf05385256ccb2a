// The API's JSON body parser, instead of fastify's: it says what it refuses. JSON.parse keeps the
// last of duplicate keys silently, and no reviver can see the earlier ones, so after parsing, one
// pass over the text's tokens (iterative: a deeply nested body cannot exhaust the stack) finds
// duplicate keys and the prototype-poisoning keys (`__proto__`, `constructor.prototype`) that
// fastify's onProtoPoisoning / onConstructorPoisoning would refuse, and names them. -0 is
// normalised to 0: no field of ours means anything by a negative zero.
import type { FastifyInstance } from 'fastify';

export class JsonBodyError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly code: 'invalid_json' | 'duplicate_key' | 'refused_key',
    message: string,
  ) {
    super(message);
    this.name = 'JsonBodyError';
  }
}

interface Frame {
  /** Keys seen so far in an object; null for an array. */
  keys: Set<string> | null;
  /** JSON pointer of this object or array. */
  path: string;
  /** The key this object is the value of (for constructor.prototype). */
  name: string;
  expectKey: boolean;
  lastKey: string;
  index: number;
}

/** Parses a JSON body; throws JsonBodyError saying what is wrong and where. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new JsonBodyError('invalid_json', "the body is empty; send a JSON document (content-type is application/json)");
  let value: unknown;
  try {
    value = JSON.parse(text, (_key, v: unknown) => (v === 0 && Object.is(v, -0) ? 0 : v));
  } catch (e) {
    throw new JsonBodyError('invalid_json', `the body is not valid JSON: ${(e as Error).message}`);
  }
  checkKeys(text);
  return value;
}

/** Runs on text JSON.parse accepted, so strings and structure are well-formed. */
function checkKeys(text: string): void {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const top = stack.at(-1);
      const path = top ? `${top.path}/${top.keys ? pointerSegment(top.lastKey) : top.index}` : '';
      stack.push({ keys: c === 0x7b ? new Set() : null, path, name: top?.keys ? top.lastKey : '', expectKey: c === 0x7b, lastKey: '', index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack.at(-1)!;
      if (top.keys) top.expectKey = true;
      else top.index++;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack.at(-1);
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const at = `${top.path}/${pointerSegment(key)}`;
        if (key === '__proto__') throw new JsonBodyError('refused_key', `the key "__proto__" (at ${at}) is refused: it could rewrite object prototypes; remove it`);
        if (key === 'prototype' && top.name === 'constructor') {
          throw new JsonBodyError('refused_key', `the key "constructor.prototype" (at ${at}) is refused: it could rewrite object prototypes; remove it`);
        }
        if (top.keys.has(key)) throw new JsonBodyError('duplicate_key', `the key "${key}" appears twice in ${top.path || 'the body'}; send each key once`);
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
}

/** RFC 6901 escaping, so a path names keys with "/" or "~" unambiguously. */
function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Replaces fastify's application/json parser; the body limit stays the server's. */
export function useJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
