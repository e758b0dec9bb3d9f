import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plaintextEndpointOptions } from '../../shared/secrets/create-secret-source.js';
import { SecretManagerSecretSource } from '../../shared/secrets/secret-manager-source.js';
import { SecretAccessError } from '../../shared/secrets/secret-source.js';

/** Secret Manager reads on the request path end within their deadline, even when the server accepts and never speaks. */
describe('Secret Manager: a read against a silent server', () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let endpoint: string;
  beforeAll(async () => {
    server = net.createServer((s) => {
      sockets.add(s); // accepted, never answered (no HTTP/2 settings, nothing)
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    endpoint = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('fails with SecretAccessError (503 at the ingress) within its deadline', async () => {
    const source = new SecretManagerSecretSource({ projectId: 'p', clientOptions: plaintextEndpointOptions(endpoint), totalTimeoutMs: 300, initialRetryDelayMs: 50 });
    try {
      const read = source.get('meta-app-secret');
      const guard = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still pending after 5 s')), 5000));
      await expect(Promise.race([read, guard])).rejects.toBeInstanceOf(SecretAccessError);
    } finally {
      await source.close();
    }
  });
});
