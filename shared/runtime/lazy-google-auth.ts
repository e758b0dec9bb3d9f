import { AuthClient, GoogleAuth, type gaxios } from 'google-auth-library';

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * Application Default Credentials resolved on each call's behalf instead of once when a client builds its gRPC stub.
 *
 * Why: the generated (GAPIC) clients behind Firestore, Pub/Sub and Secret Manager run `this.initialize().catch(err =>
 * { throw err })` in every RPC method, a promise nobody awaits. When the stub cannot be built because ADC is missing
 * ("Could not load the default credentials": a process started with `GOOGLE_CLOUD_PROJECT` but no emulator hosts, or
 * a broken service account), every RPC fails through its own promise (the caller answers 503) *and* leaves that
 * floating rejection behind, which by Node's default ends the process. Handing the clients this `authClient` keeps
 * stub creation free of credential lookups: a missing credential now fails the call itself, through the call's own
 * promise, and the next call tries again (credentials that appear later — a fixed mount — are picked up).
 *
 * In production the first call resolves the metadata-server credentials once and every later call reuses them;
 * against the emulators the clients use insecure channel credentials and never ask for a token.
 */
export class LazyApplicationDefaultCredentials extends AuthClient {
  private resolving: Promise<AuthClient> | null = null;

  constructor(private readonly auth: GoogleAuth = new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] })) {
    super();
  }

  private client(): Promise<AuthClient> {
    if (!this.resolving) {
      const pending = this.auth.getClient() as Promise<AuthClient>;
      this.resolving = pending;
      // A failed lookup is not cached: the next call looks again. (The caller of this call sees the rejection.)
      pending.catch(() => {
        if (this.resolving === pending) this.resolving = null;
      });
    }
    return this.resolving;
  }

  override async getRequestHeaders(url?: string | URL): Promise<Headers> {
    return (await this.client()).getRequestHeaders(url);
  }

  override async getAccessToken(): Promise<{ token?: string | null; res?: gaxios.GaxiosResponse | null }> {
    return (await this.client()).getAccessToken();
  }

  override async request<T>(options: gaxios.GaxiosOptions): Promise<gaxios.GaxiosResponse<T>> {
    return (await this.client()).request<T>(options);
  }
}

/**
 * The credential as the clients' `authClient` option. Their declared type lists the concrete classes of their own
 * copy of google-auth-library; at run time GoogleAuth keeps whatever AuthClient it is given and only calls
 * `getRequestHeaders` (gRPC) / `request` (REST) on it.
 */
export function lazyAuthClientOption(): { authClient: never } {
  return { authClient: new LazyApplicationDefaultCredentials() as never };
}
