/**
 * OpenID Connect Dynamic Client Registration §5 `sector_identifier_uri`: an https URL of a JSON
 * array of redirect URIs; "the values registered in redirect_uris MUST be included in the
 * elements of the array", checked at registration and whenever either changes. Fetched with the
 * bounded, address-checked fetch that serves `jwks_uri` and metadata documents (size, time, no
 * redirects, SSRF guards). The URL's host is the client's pairwise sector (OIDC Core §8.1).
 */
import { OAuthError } from '@tessera/protocol';
import type { JwksFetch } from '../client-auth/jwks-uri-fetch.js';

/** Throws `invalid_client_metadata` unless the document at `uri` lists every one of `redirectUris`. */
export type SectorIdentifierCheck = (uri: string, redirectUris: readonly string[]) => Promise<void>;

function refused(description: string, cause?: unknown): OAuthError {
  return OAuthError.invalidClientMetadata(`sector_identifier_uri ${description}`, { cause });
}

export function createSectorIdentifierCheck(fetch: JwksFetch): SectorIdentifierCheck {
  return async (uri, redirectUris) => {
    let listed: unknown;
    try {
      const response = await fetch(uri, { headers: { accept: 'application/json' } });
      if (!response.ok) {
        throw new Error(`status ${response.status}`);
      }
      listed = await response.json();
    } catch (error) {
      throw refused('could not be fetched as JSON (https, public host, small, quick, no redirects)', error);
    }
    if (!Array.isArray(listed) || !listed.every((item) => typeof item === 'string')) {
      throw refused('must hold a JSON array of redirect URIs (OpenID Connect Registration section 5)');
    }
    const missing = redirectUris.filter((redirectUri) => !listed.includes(redirectUri));
    if (missing.length > 0) {
      throw refused(
        `does not list every redirect_uri (OpenID Connect Registration section 5); missing: ${missing.slice(0, 3).join(' ')}`,
      );
    }
  };
}
