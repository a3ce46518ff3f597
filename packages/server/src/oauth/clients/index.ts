/**
 * Client management, framework-free: metadata validation and normalisation (RFC 7591 member names,
 * RFC 6749 §3.3 scopes, RFC 8707 audiences, RFC 8252 redirect URIs, public JWK Sets), the wire view,
 * and the client service (create, list, get, update, delete, rotate secret) that publishes every
 * change on the bus and records it in the audit trail. May import the store ports, the bus, the
 * clock, the audit log, `ids` and `@tessera/protocol`; never Fastify or an adapter.
 */

export { findResourceUriProblem } from '../../tokens/audience.js';
export { isClientId, isOwnerId, isUserId, parseOwnerId } from './client-id.js';
export {
  AUTH_METHODS,
  applyClientPatch,
  assertClientConsistent,
  type ClientMetadata,
  type ClientMetadataSchemas,
  type ClientRules,
  createClientMetadataSchemas,
  GRANT_TYPES,
  metadataOf,
  parseClientPatch,
  parseNewClientMetadata,
  RESERVED_CLAIMS,
  TOKEN_FORMATS,
} from './client-metadata.js';
export {
  type ActionContext,
  type ClientService,
  type ClientServiceDeps,
  type CreatedClient,
  createClientService,
  MAX_CLIENT_PAGE,
  type RotatedSecret,
} from './client-service.js';
export {
  type ClientView,
  clientViewSchema,
  clientWithSecretViewSchema,
  toClientView,
} from './client-view.js';
export { findJwksProblem } from './jwks.js';
export {
  CLIENT_PERMISSION_NAMES,
  CLIENT_PERMISSIONS,
  type ClientPermission,
  hasPermission,
} from './permissions.js';
export { findJwksUriProblem, findRedirectUriProblem } from './redirect-uri.js';
export { MAX_ROTATION_GRACE, parseRotationGrace } from './rotation-grace.js';
export { createSectorIdentifierCheck, type SectorIdentifierCheck } from './sector-identifier.js';
