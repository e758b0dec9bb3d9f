import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/emulators.js';
import { uniqueProjectId } from '../helpers/test-kit.js';

const run = promisify(execFile);

describe('npm start (the README quick start)', () => {
  it('runs the pipeline on the emulators and stand-ins and reports the replayed live', async () => {
    const [ingress, worker, notifier] = await Promise.all([freePort(), freePort(), freePort()]);
    const { stdout } = await run(path.join('node_modules', '.bin', 'tsx'), ['scripts/start-local.ts', '--once'], {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: uniqueProjectId('start'), INGRESS_PORT: String(ingress), WORKER_PORT: String(worker), NOTIFIER_PORT: String(notifier) },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/POST \/webhooks\/meta \(14 comments\) → 200 .*"published":14/);
    // comment → intent → reserved item → link in a private reply → the buyer answers → payment → confirmation
    expect(stdout).toMatch(/quiero la roja talla M\s+→ purchase 101 roja M x1\s+\(local, [\d.]+\)\s+order pending_payment/);
    expect(stdout).toMatch(/cuánto cuesta la polera\?\s+→ question\s.*answered/);
    expect(stdout).not.toContain('not classified yet');
    expect(stdout).toMatch(/Private reply to Javiera Soto: "¡Hola Javiera! Te reservamos Polera básica de algodón \(roja, talla M\) por \$9\.990\. Paga aquí: http/);
    expect(stdout).toMatch(/Javiera Soto taps "Avisarme por aquí" → POST \/webhooks\/meta \(messaging_postbacks\) → 200/);
    expect(stdout).toMatch(/Javiera Soto pays at Mercado Pago → POST \/webhooks\/mercadopago\/tienda-demo \(payment \d+ approved\) → 200/);
    expect(stdout).toMatch(/thread messages: 1 \("¡Pago recibido Javiera!/);
    expect(stdout).toMatch(/orders: 6 \(pending_payment 5, waitlisted 0, paid 1\); payment links at the Mercado Pago stand-in: 6/);
    expect(stdout).toMatch(/payment_events: payment_success \d+ → order o_[0-9a-f]+ paid/);
    expect(stdout).toMatch(/BigQuery stand-in rows: comments 14, intents 14/);
  });
});
