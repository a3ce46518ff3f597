/**
 * `@tessera/protocol`: the shared vocabulary of Tessera's server, verifier and client.
 * Zero dependencies and no I/O. The main entry (`.`) is platform-neutral; `./aead` (Node only) is
 * the one AES-256-GCM sealing format the server and the client's BFF write at rest.
 *
 * @packageDocumentation
 */
export * from './dpop.js';
export * from './errors.js';
export * from './scope.js';
export * from './secret.js';
export * from './wire.js';
