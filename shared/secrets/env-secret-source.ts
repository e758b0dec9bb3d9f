import { SecretNotFoundError, type SecretSource } from './secret-source.js';

/**
 * Secret id → env var name: upper case, every character that is not an ASCII letter or digit becomes `_`.
 * `meta-app-secret` → `META_APP_SECRET`; `tienda-6f1c…-mercadopago-access-token` → `TIENDA_6F1C…_MERCADOPAGO_ACCESS_TOKEN`.
 * The same rule is used by Terraform/Cloud Run when it mounts secrets as env vars, so both sides must agree.
 */
export function secretIdToEnvName(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export interface EnvSecretSourceOptions {
  /**
   * The variables to read. Required on purpose (no `process.env` default): config is wired by `main.ts`,
   * and tests pass a plain object.
   */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Secrets from environment variables. An empty value counts as missing: an empty token or signing key is
 * never valid, and failing at the first use with the variable's name is clearer than a 401 later.
 */
export class EnvSecretSource implements SecretSource {
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(options: EnvSecretSourceOptions) {
    this.env = options.env;
  }

  async get(id: string): Promise<string> {
    const value = await this.getOptional(id);
    if (value === undefined) {
      const name = secretIdToEnvName(id);
      throw new SecretNotFoundError(id, `Secret "${id}" was not found: environment variable ${name} is not set`);
    }
    return value;
  }

  async getOptional(id: string): Promise<string | undefined> {
    const value = this.env[secretIdToEnvName(id)];
    return value === undefined || value === '' ? undefined : value;
  }

  /** Env vars do not change under a running process; re-reading is all a refresh can do. */
  async refresh(id: string): Promise<string> {
    return this.get(id);
  }
}
