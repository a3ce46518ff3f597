"""Python OAuth clients against a running Tessera, unmodified (Debian's python3-authlib and
python3-requests-oauthlib). Usage: clients.py ISSUER CLIENT_ID CLIENT_SECRET INTROSPECTOR_ID
INTROSPECTOR_SECRET AUDIENCE. Prints one JSON object with what each library got."""
import json
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.jose import JsonWebKey, jwt
from oauthlib.oauth2 import BackendApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session as RequestsOAuthSession

issuer, client_id, client_secret, api_id, api_secret, audience = sys.argv[1:7]
metadata = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=10).json()
out = {"issuer": metadata["issuer"]}

# Authlib: RFC 6749 §4.4 with client_secret_basic (its default), RFC 7662 introspection, and the JWT
# checked with authlib.jose against the published JWKS.
authlib = AuthlibSession(client_id, client_secret, scope="read")
token = authlib.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
out["authlib_token_type"] = token["token_type"]
out["authlib_scope"] = token.get("scope")
introspector = AuthlibSession(api_id, api_secret)
introspection = introspector.introspect_token(
    metadata["introspection_endpoint"], token=token["access_token"]
).json()
out["authlib_introspection"] = {k: introspection.get(k) for k in ("active", "client_id", "scope")}
keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
claims = jwt.decode(
    token["access_token"],
    keys,
    claims_options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": audience}},
)
claims.validate()
out["authlib_jwt"] = {"client_id": claims["client_id"], "sub": claims["sub"]}

# requests-oauthlib: the backend application flow (client credentials) with HTTP Basic; oauthlib
# refuses plain http unless OAUTHLIB_INSECURE_TRANSPORT is set (the test server is loopback http).
session = RequestsOAuthSession(client=BackendApplicationClient(client_id=client_id))
token2 = session.fetch_token(
    token_url=metadata["token_endpoint"], auth=HTTPBasicAuth(client_id, client_secret), scope=["write"]
)
out["requests_oauthlib_scope"] = token2.get("scope")
out["requests_oauthlib_token_type"] = token2["token_type"]
print(json.dumps(out))
