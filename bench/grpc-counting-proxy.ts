import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through for the emulators' gRPC (HTTP/2 cleartext, as the official clients speak to an emulator) that
 * counts every call by its method (`:path`, e.g. `/google.firestore.v1.Firestore/Commit`). One proxy per service and
 * emulator says who makes which round trips. Streams are forwarded as they are, headers, data and trailers
 * (grpc-status) included, so the clients cannot tell it is there.
 */
export interface CountingProxy {
  /** host:port to give the client instead of the emulator's. */
  host: string;
  counts: Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

/** `orders`, `tiendas/(id)/lives/(id)/allocation` …: the collection paths a request names (ids replaced by *), or its topic. */
function describe(request: string): string {
  const found = new Set<string>();
  for (const m of request.matchAll(/documents\/([A-Za-z0-9_./:@+=-]+)/g)) {
    const segs = m[1]!.split('/');
    found.add(segs.map((x, i) => (i % 2 === 1 ? '*' : x)).join('/'));
  }
  for (const m of request.matchAll(/topics\/([A-Za-z0-9_-]+)/g)) found.add(`topic ${m[1]}`);
  return [...found].sort().join(' + ');
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const upstream = http2.connect(`http://${target}`);
  upstream.on('error', () => undefined);
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    // What the call is about: the collection paths (Firestore) or topic (Pub/Sub) named in its request, read as text
    // from the protobuf bytes (names are plain strings there). Counted once the request is complete.
    let head = '';
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 8192) head += chunk.toString('latin1');
    });
    stream.on('end', () => {
      const label = `${path.replace(/^\/google\.(firestore|pubsub)\.v1\./, '')} ${describe(head)}`.trim();
      counts.set(label, (counts.get(label) ?? 0) + 1);
    });
    const forwarded: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) if (k !== ':authority' && k !== ':scheme' && v !== undefined) forwarded[k] = v;
    const out = upstream.request(forwarded, { endStream: false });
    let trailers: http2.OutgoingHttpHeaders | null = null;
    out.on('response', (h) => {
      const rh: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(h)) if (v !== undefined && k !== ':status') rh[k] = v as string | string[];
      if (stream.destroyed) return;
      // gRPC "trailers-only" answer (an error such as ALREADY_EXISTS): the status is in these headers, no body follows.
      if (h['grpc-status'] !== undefined) stream.respond({ ...rh, ':status': Number(h[':status'] ?? 200) }, { endStream: true });
      else stream.respond({ ...rh, ':status': Number(h[':status'] ?? 200) }, { waitForTrailers: true });
    });
    out.on('trailers', (t) => {
      const copy: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(t)) if (v !== undefined && v !== null) copy[k] = v as string | string[];
      trailers = copy;
    });
    stream.on('wantTrailers', () => {
      if (trailers) stream.sendTrailers(trailers);
      else stream.close();
    });
    out.pipe(stream);
    stream.pipe(out);
    const abort = () => {
      if (!out.destroyed) out.close(http2.constants.NGHTTP2_CANCEL);
    };
    stream.on('close', abort);
    stream.on('error', abort);
    out.on('error', () => {
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    counts,
    reset: () => counts.clear(),
    close: () =>
      new Promise<void>((r) => {
        upstream.close();
        server.close(() => r());
        setTimeout(r, 1000).unref();
      }),
  };
}
