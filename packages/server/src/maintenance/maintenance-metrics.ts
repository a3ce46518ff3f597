/** `tessera_maintenance_purged_rows_total{table}`: rows the maintenance job deleted, per table. */
import { Counter, type Registry } from 'prom-client';
import type { PurgedTable } from './maintenance-job.js';

export function createMaintenanceMetrics(registry: Registry): (table: PurgedTable, rows: number) => void {
  const purged = new Counter({
    name: 'tessera_maintenance_purged_rows_total',
    help: 'Rows deleted by the maintenance job, by table',
    labelNames: ['table'],
    registers: [registry],
  });
  return (table, rows) => purged.inc({ table }, rows);
}
