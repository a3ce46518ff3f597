/**
 * Which addresses a client-supplied URL (a `jwks_uri`) may reach: public unicast only. A client
 * that registers `https://169.254.169.254/…` or a name resolving to `10.0.0.5` would otherwise make
 * the server fetch from inside its own network (server-side request forgery; RFC 9700 §4.7 and
 * OIDC Core §16.16 on fetched client metadata). Checked at registration on the URL's host and again
 * at fetch time on every address the name resolves to.
 */
import { BlockList, isIP } from 'node:net';

/** Special-purpose ranges (RFC 6890 and the IANA registries): never a client's key server. */
const NON_PUBLIC_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

const NON_PUBLIC_V6: [string, number][] = [
  ['::', 96], // unspecified, loopback (::1) and IPv4-compatible
  ['64:ff9b::', 96], // NAT64: would reach any IPv4 address, private ones included
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const nonPublic = new BlockList();
for (const [network, prefix] of NON_PUBLIC_V4) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of NON_PUBLIC_V6) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

/**
 * True for a public unicast IP address; false for loopback, private, link-local, unique-local,
 * CGNAT, multicast, documentation and other special-purpose ranges (IPv4-mapped IPv6 addresses are
 * judged by the IPv4 address inside), and for anything that is not an IP address.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 0) {
    return false;
  }
  return !nonPublic.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** RFC 6761 §6.3: `localhost` and every name under it are loopback whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Why a URL host (as `URL.hostname` gives it: IPv4 normalized, IPv6 in brackets) must not be
 * fetched, or undefined when a fetch may try it (names are checked again once resolved).
 */
export function findNonPublicHostProblem(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(bare) !== 0) {
    return isPublicAddress(bare) ? undefined : `names the non-public address ${bare}`;
  }
  return isLocalhostName(hostname) ? `names ${hostname}, a loopback host` : undefined;
}
