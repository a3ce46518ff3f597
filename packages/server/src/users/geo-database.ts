/**
 * IP → ASN, country, region and city for risk-based sign-in, from MaxMind-format (`.mmdb`) files
 * read with `mmdb-lib` (`risk.geoDatabase`, `risk.asnDatabase`; docs/risk.md says where to get
 * them). Both record layouts in use are understood: MaxMind's GeoLite2 / GeoIP2 (`country.iso_code`,
 * `subdivisions[0]`, `city.names.en`, `location.latitude`) and the flat one of the `@ip-location-db/*-mmdb` packages
 * (`country_code`, `state1`, `city`, `latitude`); ASN from `autonomous_system_number`.
 *
 * A file that is missing or not a valid database is logged and left out: the server starts and
 * scores without it. An address a database does not know, a private one or garbage gets nothing.
 */
import { readFileSync } from 'node:fs';
import type { GeoLookup, GeoRecord } from '@tessera/risk';
import { Reader, type Response } from 'mmdb-lib';

export interface GeoDatabaseLog {
  warn(details: object, message: string): void;
}

type Lookup = (ip: string) => Record<string, unknown> | null;

function open(path: string | undefined, what: string, log: GeoDatabaseLog): Lookup | undefined {
  if (path === undefined) {
    return undefined;
  }
  try {
    const reader = new Reader<Response>(readFileSync(path));
    return (ip) => reader.get(ip) as Record<string, unknown> | null;
  } catch (error) {
    log.warn(
      { path, error: error instanceof Error ? error.message : String(error) },
      `risk: the ${what} database could not be read; sign-ins are scored without it`,
    );
    return undefined;
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

function field(record: Record<string, unknown>, ...path: (string | number)[]): unknown {
  let value: unknown = record;
  for (const key of path) {
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

const degrees = (value: unknown, limit: number): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit ? value : undefined;

/** MaxMind's `location.latitude` / `.longitude`, or the flat `latitude` / `longitude`; both or none. */
function coordinatesOf(record: Record<string, unknown>): { latitude?: number; longitude?: number } {
  const latitude =
    degrees(field(record, 'location', 'latitude'), 90) ?? degrees(field(record, 'latitude'), 90);
  const longitude =
    degrees(field(record, 'location', 'longitude'), 180) ?? degrees(field(record, 'longitude'), 180);
  return latitude === undefined || longitude === undefined ? {} : { latitude, longitude };
}

function safely(lookup: Lookup | undefined, ip: string): Record<string, unknown> | undefined {
  if (lookup === undefined) {
    return undefined;
  }
  try {
    return lookup(ip) ?? undefined;
  } catch {
    // Not an address, or an IPv6 address in an IPv4-only database.
    return undefined;
  }
}

/** The lookup over the configured files; with none (or none readable) every lookup is empty. */
export function openGeoDatabases(
  paths: { geoDatabase?: string | undefined; asnDatabase?: string | undefined },
  log: GeoDatabaseLog,
): GeoLookup {
  const place = open(paths.geoDatabase, 'geo', log);
  const network = open(paths.asnDatabase, 'ASN', log);
  return {
    lookup(ip) {
      const out: { -readonly [K in keyof GeoRecord]: GeoRecord[K] } = {};
      const p = safely(place, ip);
      if (p !== undefined) {
        const country = text(field(p, 'country_code')) ?? text(field(p, 'country', 'iso_code'));
        const region =
          text(field(p, 'state1')) ??
          text(field(p, 'subdivisions', 0, 'iso_code')) ??
          text(field(p, 'subdivisions', 0, 'names', 'en'));
        const city = text(field(p, 'city')) ?? text(field(p, 'city', 'names', 'en'));
        Object.assign(
          out,
          country === undefined ? {} : { country },
          region === undefined ? {} : { region },
          city === undefined ? {} : { city },
          coordinatesOf(p),
        );
      }
      const n = safely(network, ip) ?? p;
      const asn = n === undefined ? undefined : text(field(n, 'autonomous_system_number'));
      if (asn !== undefined) {
        out.asn = asn;
      }
      return out;
    },
  };
}
