import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP pass-through in front of a provider's wire-level fake that can put the provider "down" for as long as a
 * test says (the fakes themselves script failures per request, by count). While down, each request that arrives
 * first scripts ONE failure on the fake (`fail()`: the fake's own error body for a status, or its own hang) and is
 * then forwarded, so every answer still comes from the fake in the provider's real wire format.
 */
export type ProviderFault = { status: number } | 'hang';

export interface ProviderSwitch {
  url: string;
  /** Requests that arrived while the provider was down. */
  failed: number;
  set(fault: ProviderFault | null): void;
  close(): Promise<void>;
}

export async function startProviderSwitch(target: string, fail: (fault: ProviderFault) => void): Promise<ProviderSwitch> {
  const upstream = new URL(target);
  let fault: ProviderFault | null = null;
  const sw = { failed: 0 };
  const server = http.createServer((req, res) => {
    if (fault) {
      sw.failed++;
      fail(fault);
    }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    // The client gave up (its own deadline): drop the upstream request too, as a real network would.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get failed() {
      return sw.failed;
    },
    set(next) {
      fault = next;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
