import Router from '@koa/router';
import Koa from 'koa';
import { requestContext } from '../../shared/http/request-context.js';
import type { IngressDeps } from './ingress-deps.js';
import { registerEventsRoute } from './routes/events-route.js';
import { registerMetaRoutes } from './routes/meta-routes.js';
import { registerPaymentRoutes } from './routes/payment-routes.js';
import { providerErrorMiddleware } from './routes/provider-error-middleware.js';

/** Builds the ingress Koa app from its dependencies; never listens (main.ts does). */
export function createApp(deps: IngressDeps): Koa {
  const app = new Koa({ proxy: true });
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  registerMetaRoutes(router, deps);
  registerPaymentRoutes(router, deps);
  registerEventsRoute(router, deps);

  app.use(requestContext());
  app.use(providerErrorMiddleware);
  app.use(router.routes());
  // Known path, wrong method → 405 with Allow; unknown path → Koa's 404.
  app.use(router.allowedMethods());
  return app;
}
