import { Hono } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import { describe, expect, it } from 'vitest';
import { addressOfViewerHeader, cloudFrontViewerAddress } from '../src/viewer-address.ts';

// Behind CloudFront the client's address is the one CloudFront vouches for, and only when the
// request proves it came through the distribution.

const EDGE_ADDRESS = '130.176.1.1';
const gatewaySourceIp: GetConnInfo = () => ({ remote: { address: EDGE_ADDRESS } });

function appWith(secret: string) {
  const connectionInfo = cloudFrontViewerAddress(gatewaySourceIp, secret);
  const app = new Hono();
  app.get('/address', (c) => c.text(connectionInfo(c).remote.address ?? 'none'));
  return app;
}

describe('the client address behind CloudFront', () => {
  it('reads the viewer address from requests that carry the origin-verify secret', async () => {
    const app = appWith('the-verify-secret');
    const through = await app.request('/address', { headers: { 'x-origin-verify': 'the-verify-secret', 'cloudfront-viewer-address': '198.51.100.7:46532' } });
    expect(await through.text()).toBe('198.51.100.7');
    const ipv6 = await app.request('/address', { headers: { 'x-origin-verify': 'the-verify-secret', 'cloudfront-viewer-address': '2001:db8::5:443' } });
    expect(await ipv6.text()).toBe('2001:db8::5');
  });

  it('ignores a viewer address sent straight to the API, or with a wrong secret, or malformed', async () => {
    const app = appWith('the-verify-secret');
    const attempts: Record<string, string>[] = [
      { 'cloudfront-viewer-address': '198.51.100.7:46532' },
      { 'x-origin-verify': 'a-guess', 'cloudfront-viewer-address': '198.51.100.7:46532' },
      { 'x-origin-verify': 'the-verify-secret', 'cloudfront-viewer-address': 'not an address' },
    ];
    for (const headers of attempts) {
      expect(await (await app.request('/address', { headers })).text()).toBe(EDGE_ADDRESS);
    }
  });

  it('parses only address characters', () => {
    expect(addressOfViewerHeader('203.0.113.9:1')).toBe('203.0.113.9');
    expect(addressOfViewerHeader('[2001:db8::1]:80')).toBe('2001:db8::1');
    expect(addressOfViewerHeader('<script>:1')).toBeUndefined();
    expect(addressOfViewerHeader('12345')).toBeUndefined();
  });
});
