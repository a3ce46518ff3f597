/**
 * The risk-reports feature (only with `risk.enabled`): `POST /risk/reports`, where verifiers report
 * token uses that differ from the token's issuance context (docs/risk.md).
 */
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { TokenUseReports } from '../../users/token-use-reports.js';
import type { HttpFeature } from '../feature.js';
import { RISK_REPORTS_PATH, registerRiskReportsRoute } from '../public/risk-reports.js';

export function createRiskReportsFeature(deps: {
  issuer: string;
  authenticate: AuthenticateClient;
  reports: TokenUseReports;
}): HttpFeature {
  return {
    name: 'risk-reports',
    registerPublic(app, context) {
      registerRiskReportsRoute(app, deps);
      // Not an RFC 8414 member: a Tessera extension, so verifiers can find the endpoint.
      context.caps.extra.set('risk_reports_endpoint', deps.issuer + RISK_REPORTS_PATH);
    },
  };
}
