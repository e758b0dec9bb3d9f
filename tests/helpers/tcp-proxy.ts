import { Firestore } from '@google-cloud/firestore';
import net, { type Socket } from 'node:net';

/**
 * A TCP proxy in front of an emulator, for real-wire faults the official clients cannot tell from a network
 * problem: `delay(ms)` holds every byte for that long before forwarding it (a request that commits after the
 * client gave up), `down()` cuts every connection and refuses new ones (the network is gone), `pass()` forwards.
 */
export async function startTcpProxy(targetHostPort: string) {
  const [host, portText] = targetHostPort.split(':');
  const target = { host: host!, port: Number(portText) };
  let mode: 'pass' | 'delay' | 'down' = 'pass';
  let delayMs = 0;
  const sockets = new Set<Socket>();

  const forward = (from: Socket, to: Socket) => {
    // One chain per direction keeps the bytes in order whatever the delay.
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      if (mode === 'down') return;
      const due = Date.now() + (mode === 'delay' ? delayMs : 0);
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (mode !== 'down' && !to.destroyed) to.write(chunk);
      });
    });
  };

  const server = net.createServer((client) => {
    if (mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;

  return {
    hostPort: `127.0.0.1:${port}`,
    pass() {
      mode = 'pass';
    },
    delay(ms: number) {
      mode = 'delay';
      delayMs = ms;
    },
    down() {
      mode = 'down';
      for (const s of sockets) s.destroy();
    },
    async close() {
      mode = 'down';
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;

/** A Firestore client (same project as `projectId`) that reaches the emulator only through `proxy`. */
export function firestoreThrough(proxy: TcpProxy, projectId: string): Firestore {
  const prev = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = proxy.hostPort;
  const fs = new Firestore({ projectId });
  process.env.FIRESTORE_EMULATOR_HOST = prev;
  return fs;
}
