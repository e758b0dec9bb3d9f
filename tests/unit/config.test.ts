import { describe, expect, it } from 'vitest';
import { ConfigError, parseDuration } from '../../shared/config/define-config.js';
import { ingressConfig } from '../../services/ingress/config.js';

describe('typed configuration', () => {
  it('loads with defaults from a minimal environment', () => {
    const c = ingressConfig.load({ GOOGLE_CLOUD_PROJECT: 'demo' });
    expect(c.port).toBe(8080);
    expect(c.secretsSource).toBe('secret-manager');
    expect(c.mercadopagoApiUrl).toBe('https://api.mercadopago.com');
    expect(c.signatureTolerance).toBe(300_000);
  });

  it('names every missing or invalid setting at once, by variable', () => {
    let error: unknown;
    try {
      ingressConfig.load({ PORT: 'eighty', SECRETS_SOURCE: 'vault', MERCADOPAGO_API_URL: 'not a url', SIGNATURE_TOLERANCE: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const msg = (error as ConfigError).message;
    expect(msg).toContain('GOOGLE_CLOUD_PROJECT: is required but not set');
    expect(msg).toMatch(/PORT: invalid value "eighty"/);
    expect(msg).toMatch(/SECRETS_SOURCE: invalid value "vault"/);
    expect(msg).toMatch(/MERCADOPAGO_API_URL: invalid value/);
    expect(msg).toMatch(/SIGNATURE_TOLERANCE: invalid value "soon"/);
    expect((error as ConfigError).problems).toHaveLength(5);
  });

  it('refuses an idempotency lease too short for its holder ever to publish (it would answer 503 for ever)', () => {
    expect(() => ingressConfig.load({ GOOGLE_CLOUD_PROJECT: 'demo', IDEMPOTENCY_LEASE: '8s' })).toThrow(/IDEMPOTENCY_LEASE: .*must be at least 16s/);
    expect(ingressConfig.load({ GOOGLE_CLOUD_PROJECT: 'demo', IDEMPOTENCY_LEASE: '16s' }).idempotencyLease).toBe(16_000);
  });

  it('parses durations and the retry schedule list', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('1 day')).toThrow(/not a duration/);
  });
});
