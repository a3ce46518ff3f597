/**
 * The port for IP → ASN, country, region and city. The engine takes these as inputs (the RBA schema
 * carries them, and the coordinates feed `impossible_travel`), so a server fills them in from whichever offline database it ships. No database is
 * bundled: see docs/risk.md ("IP to ASN and place") for the packages checked and why. A lookup that
 * fails or knows nothing returns an empty record; scoring then runs without geo, never throws.
 */
export interface GeoRecord {
  readonly asn?: string;
  readonly country?: string;
  readonly region?: string;
  readonly city?: string;
  /** The city's coordinates (degrees), when the database has them: both or neither. */
  readonly latitude?: number;
  readonly longitude?: number;
}

export interface GeoLookup {
  lookup(ip: string): GeoRecord;
}

/** The lookup used when none is configured (or the configured database is corrupt). */
export const noGeo: GeoLookup = { lookup: () => ({}) };
