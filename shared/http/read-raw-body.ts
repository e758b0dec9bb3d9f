import type { Context } from 'koa';
import getRawBody from 'raw-body';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = 'error',
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Reads the request body as bytes exactly as received — signatures are computed over these bytes, never
 * over re-serialised JSON. Over the limit → 413 without buffering the rest.
 */
export async function readRawBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit: limitBytes, length: ctx.request.length });
  } catch (e) {
    const err = e as { type?: string; status?: number; message?: string };
    if (err.type === 'entity.too.large') throw new HttpError(413, `body larger than ${limitBytes} bytes`, 'body_too_large');
    if (err.type === 'request.aborted') throw new HttpError(400, 'request aborted', 'aborted');
    throw new HttpError(err.status ?? 400, err.message ?? 'could not read body', 'bad_body');
  }
}

/**
 * Deepest nesting of objects/arrays a body may have. Every payload we accept is under ~10 levels (a Meta
 * batch is 6); V8 parses 100,000 levels iteratively, but schema validation, logging and JSON.stringify
 * recurse and overflow the stack on a few thousand — a 500 an unauthenticated sender could trigger at will.
 */
export const MAX_JSON_DEPTH = 64;

export function parseJson(raw: Buffer, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(raw, maxDepth)) {
    throw new HttpError(400, `body nests deeper than ${maxDepth} levels`, 'json_too_deep');
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON', 'malformed_json');
  }
}

/** One pass over the bytes, before parsing: brackets inside strings do not count. Invalid JSON is left to JSON.parse. */
export function jsonDepthExceeds(raw: Buffer, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
