import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';

// Behind CloudFront, API Gateway's source IP is an edge server's. CloudFront adds the viewer's
// address (CloudFront-Viewer-Address: `<ip>:<port>`), but anyone calling the HTTP API directly
// could write that header too, so it is believed only on requests that also carry the origin-verify
// secret CloudFront adds (a value only the distribution and this function know).

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The address part of `<ip>:<port>` (IPv6 addresses contain colons: the port is after the last). */
export function addressOfViewerHeader(value: string): string | undefined {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const address = value.slice(0, colon).replace(/^\[|\]$/g, '');
  return /^[0-9A-Fa-f.:]{2,45}$/.test(address) ? address : undefined;
}

export function cloudFrontViewerAddress(underlying: GetConnInfo, originVerifySecret: string): GetConnInfo {
  const expected = digest(originVerifySecret);
  return (c: Context) => {
    const info = underlying(c);
    const verify = c.req.header('x-origin-verify');
    const viewer = c.req.header('cloudfront-viewer-address');
    if (verify === undefined || viewer === undefined || !timingSafeEqual(digest(verify), expected)) return info;
    const address = addressOfViewerHeader(viewer);
    return address ? { ...info, remote: { ...info.remote, address } } : info;
  };
}
