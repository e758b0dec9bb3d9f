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

export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON', 'malformed_json');
  }
}
