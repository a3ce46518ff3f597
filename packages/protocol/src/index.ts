/**
 * `@tessera/protocol`: the shared vocabulary of Tessera's server, verifier and client.
 * Zero dependencies and no I/O. One entry point (`.`), no subpaths.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './scope.js';
export * from './secret.js';
export * from './wire.js';
