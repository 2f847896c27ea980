import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../src/index.ts';

describe('isPublicAddress: public addresses are allowed', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '11.0.0.1',
    '192.167.255.255',
    '223.255.255.255',
  ])('IPv4 %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(['2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e', '2606:4700:4700:0:0:0:0:1111', '2606:4700:4700::1111'.toUpperCase()])(
    'IPv6 %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it.each(['::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808', '2002:808:808::1'])(
    'IPv6 form embedding the public IPv4 8.8.8.8: %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('isPublicAddress: IPv4 that is not globally routable is refused', () => {
  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback, top of range', '127.255.255.254'],
    ['private 10/8', '10.0.0.1'],
    ['private 10/8, top', '10.255.255.255'],
    ['private 172.16/12, bottom', '172.16.0.0'],
    ['private 172.16/12', '172.20.10.5'],
    ['private 172.16/12, top', '172.31.255.255'],
    ['private 192.168/16', '192.168.0.1'],
    ['private 192.168/16, top', '192.168.255.255'],
    ['link-local (cloud metadata)', '169.254.169.254'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['carrier-grade NAT, top', '100.127.255.255'],
    ['this network', '0.0.0.0'],
    ['this network 0/8', '0.1.2.3'],
    ['multicast', '224.0.0.1'],
    ['multicast, top', '239.255.255.255'],
    ['reserved 240/4', '240.0.0.1'],
    ['broadcast', '255.255.255.255'],
    ['IETF protocol assignments', '192.0.0.8'],
    ['documentation TEST-NET-1', '192.0.2.1'],
    ['documentation TEST-NET-2', '198.51.100.7'],
    ['documentation TEST-NET-3', '203.0.113.9'],
    ['benchmarking', '198.18.0.1'],
    ['benchmarking, top', '198.19.255.255'],
    ['6to4 relay anycast', '192.88.99.1'],
  ])('%s: %s', (_label, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});

describe('isPublicAddress: IPv6 that is not globally routable is refused', () => {
  it.each([
    ['loopback', '::1'],
    ['loopback, long form', '0:0:0:0:0:0:0:1'],
    ['unspecified', '::'],
    ['link-local', 'fe80::1'],
    ['link-local, uppercase', 'FE80::ABCD'],
    ['unique local fc00::/7', 'fc00::1'],
    ['unique local (AWS metadata)', 'fd00:ec2::254'],
    ['site-local (deprecated)', 'fec0::1'],
    ['multicast', 'ff02::1'],
    ['documentation', '2001:db8::1'],
    ['Teredo / IETF 2001::/23', '2001::1'],
    ['discard-only', '100::1'],
  ])('%s: %s', (_label, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});

describe('isPublicAddress: private IPv4 embedded in IPv6 is refused', () => {
  it.each([
    ['IPv4-mapped loopback, dotted', '::ffff:127.0.0.1'],
    ['IPv4-mapped loopback, hex', '::ffff:7f00:1'],
    ['IPv4-mapped loopback, long form', '0:0:0:0:0:ffff:7f00:1'],
    ['IPv4-mapped loopback, uppercase', '::FFFF:7F00:1'],
    ['IPv4-mapped private', '::ffff:10.0.0.1'],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
    ['IPv4-mapped metadata, hex', '::ffff:a9fe:a9fe'],
    ['IPv4-mapped unspecified', '::ffff:0.0.0.0'],
    ['IPv4-compatible loopback', '::127.0.0.1'],
    ['NAT64 well-known prefix, loopback', '64:ff9b::7f00:1'],
    ['NAT64 well-known prefix, dotted private', '64:ff9b::192.168.1.1'],
    ['6to4 of loopback', '2002:7f00:1::1'],
    ['6to4 of metadata', '2002:a9fe:a9fe::'],
  ])('%s: %s', (_label, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it('refuses the NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215, not globally reachable)', () => {
    // A network that runs local NAT64 translates these to IPv4 inside it, loopback and private ranges included.
    expect(isPublicAddress('64:ff9b:1::7f00:1')).toBe(false);
    expect(isPublicAddress('64:ff9b:1:a9fe:a9fe::')).toBe(false);
  });
});

describe('isPublicAddress: anything that is not an IP address is refused', () => {
  it.each([
    '',
    'localhost',
    'example.com',
    'not an address',
    '8.8.8.8 ',
    ' 8.8.8.8',
    '8.8.8',
    '8.8.8.8.8',
    '256.1.1.1',
    '08.8.8.8',
    '0x7f.0.0.1',
    '2130706433',
    '[::1]',
    '[2606:4700:4700::1111]',
    '2606:4700:4700::1111::1',
    '8.8.8.8:80',
    'http://8.8.8.8/',
  ])('%j', (value) => {
    expect(isPublicAddress(value)).toBe(false);
  });
});
