/**
 * An HTTP feature: the routes one part of Tessera adds to the public surface and to the admin API,
 * and what it adds to discovery. `main.ts` builds the features from the core services; `app.ts`
 * registers them. Adding an endpoint never means editing another feature.
 */
import type { FastifyInstance } from 'fastify';
import type { Capabilities } from '../oauth/discovery.js';

export interface FeatureContext {
  issuer: string;
  /** What discovery advertises; a feature adds exactly what it implements. */
  caps: Capabilities;
}

export interface HttpFeature {
  name: string;
  /** Public routes, registered at the root. */
  registerPublic?(app: FastifyInstance, context: FeatureContext): void | Promise<void>;
  /** Admin routes, registered under `/admin` behind the admin credential. */
  registerAdmin?(admin: FastifyInstance, context: FeatureContext): void | Promise<void>;
  /** Runs once after the server stopped taking requests (flush batches, stop timers). */
  close?(): Promise<void>;
}
