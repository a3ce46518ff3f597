/** The audit log for operators: `GET /admin/audit` (http/admin/audit.ts, scope `audit:read`). */
import type { AuditStore } from '../../store/ports.js';
import { registerAuditRoutes } from '../admin/audit.js';
import type { HttpFeature } from '../feature.js';

export function createAuditFeature(deps: { store: Pick<AuditStore, 'listAudit'> }): HttpFeature {
  return {
    name: 'audit',
    registerAdmin(admin) {
      registerAuditRoutes(admin, deps);
    },
  };
}
