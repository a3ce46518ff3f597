/**
 * A software WebAuthn authenticator for HTTP tests: a P-256 key (ES256), `none` attestation,
 * authenticator data laid out as WebAuthn L3 §6.1 says, CBOR from `@simplewebauthn/server`'s own
 * helpers. Every field a test may want wrong can be overridden: origin, RP ID, flags, counter,
 * challenge, user handle. The real-browser path is covered by the Chromium test with a CDP virtual
 * authenticator; this one lets a test forge what no honest browser sends.
 */
import { createHash, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { generateKeyPairFromDer } from '../../src/keys/keyring.js';

const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** Authenticator-data flags (default UP | UV | BE | BS). */
  flags?: number;
  counter?: number;
  userHandle?: string | null;
}

function b64(bytes: Uint8Array | Buffer): string {
  return Buffer.from(bytes).toString('base64url');
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly keys = generateKeyPairFromDer('ec', { namedCurve: 'P-256' });
  /** The next assertion's counter is this plus one (0 for an authenticator without a counter). */
  counter = 0;
  userHandle: string | null = null;

  constructor(
    readonly rpId: string,
    readonly origin: string,
    readonly options: { counts?: boolean } = {},
  ) {}

  static readonly FLAGS = { UP, UV, BE, BS, AT };

  get id(): string {
    return b64(this.credentialId);
  }

  private coseKey(): Uint8Array {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(String(jwk.x), 'base64url'))],
        [-3, new Uint8Array(Buffer.from(String(jwk.y), 'base64url'))],
      ]),
    );
  }

  private authData(rpId: string, flags: number, counter: number, attested: boolean): Buffer {
    const head = Buffer.alloc(37);
    createHash('sha256').update(rpId).digest().copy(head, 0);
    head.writeUInt8(flags | (attested ? AT : 0), 32);
    head.writeUInt32BE(counter, 33);
    if (!attested) {
      return head;
    }
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    return Buffer.concat([head, Buffer.alloc(16), idLength, this.credentialId, Buffer.from(this.coseKey())]);
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** A registration response to `options` (`PublicKeyCredentialCreationOptionsJSON`). */
  register(options: { challenge: string; user: { id: string } }, overrides: CeremonyOverrides = {}) {
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData(
      overrides.type ?? 'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const authData = this.authData(
      overrides.rpId ?? this.rpId,
      overrides.flags ?? UP | UV | BE | BS,
      overrides.counter ?? this.counter,
      true,
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]) as never,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64(clientDataJSON),
        attestationObject: b64(attestationObject),
        transports: ['internal'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /** An assertion for `options` (`PublicKeyCredentialRequestOptionsJSON`); advances the counter. */
  assert(options: { challenge: string }, overrides: CeremonyOverrides = {}) {
    if (overrides.counter === undefined && this.options.counts !== false) {
      this.counter += 1;
    }
    const counter = overrides.counter ?? (this.options.counts === false ? 0 : this.counter);
    const clientDataJSON = this.clientData(
      overrides.type ?? 'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const authData = this.authData(
      overrides.rpId ?? this.rpId,
      overrides.flags ?? UP | UV | BE | BS,
      counter,
      false,
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]),
      this.keys.privateKey,
    );
    const userHandle = overrides.userHandle === undefined ? this.userHandle : overrides.userHandle;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }
}

/** The JSON in a page's `data-options` attribute (HTML-unescaped). */
export function dataOptions<T = Record<string, unknown>>(html: string, formId: string): T {
  const match = new RegExp(`id="${formId}" data-options="([^"]*)"`).exec(html);
  if (match === null) {
    throw new Error(`no form #${formId} with options in the page`);
  }
  return JSON.parse(
    (match[1] as string).replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))),
  ) as T;
}

/** The hidden fields of one form of a page (by id). */
export function formFields(html: string, formId: string): Record<string, string> {
  const start = html.indexOf(`id="${formId}"`);
  const end = html.indexOf('</form>', start);
  if (start < 0 || end < 0) {
    throw new Error(`no form #${formId}`);
  }
  const out: Record<string, string> = {};
  for (const match of html
    .slice(start, end)
    .matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    out[match[1] as string] = (match[2] as string).replace(/&#(\d+);/g, (_m, code: string) =>
      String.fromCharCode(Number(code)),
    );
  }
  return out;
}
