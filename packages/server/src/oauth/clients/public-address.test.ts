import { describe, expect, it } from 'vitest';
import { findNonPublicHostProblem, isPublicAddress } from './public-address.js';

describe('public addresses only for client-supplied URLs (issue 12 item 6, RFC 9700 §4.7)', () => {
  it.each([
    ['169.254.169.254', 'cloud metadata (link-local)'],
    ['10.0.0.1', 'RFC 1918'],
    ['10.255.255.255', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['172.31.255.254', 'RFC 1918'],
    ['192.168.1.1', 'RFC 1918'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['0.0.0.0', 'this network'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd00::1', 'unique local'],
    ['fc00::1', 'unique local'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata address'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::7f00:1', 'IPv4-compatible loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 to the metadata address'],
    ['2002:a9fe:a9fe::1', '6to4 of the metadata address'],
    ['[::1]', 'bracketed IPv6 loopback'],
    ['not-an-ip', 'not an address'],
  ])('%s (%s) is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '2a00:1450::1',
  ])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data',
    'https://10.0.0.1/jwks',
    'https://[::1]/jwks',
    'https://[::ffff:127.0.0.1]/jwks',
    'https://0x7f000001/jwks',
    'https://2130706433/jwks',
    'https://127.1/jwks',
    'https://localhost/jwks',
    'https://LOCALHOST./jwks',
    'https://keys.localhost/jwks',
    'https://[fe80::1]/jwks',
  ])('the host of %s is refused before any lookup', (url) => {
    expect(findNonPublicHostProblem(new URL(url).hostname)).toEqual(expect.any(String));
  });

  it('a public name or address passes the static check (names are checked again after resolution)', () => {
    expect(findNonPublicHostProblem('keys.example.com')).toBeUndefined();
    expect(findNonPublicHostProblem('93.184.215.14')).toBeUndefined();
  });
});
