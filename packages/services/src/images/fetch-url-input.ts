import { guardedFetch, GuardedFetchError, type Resolver } from '@kontext/net';
import type { PlatformSettings } from '../settings.ts';

export type FetchUrlInput = (url: string, options: { maxBytes: number }) => Promise<Uint8Array>;

export class UrlInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UrlInputError';
  }
}

/** The URL-input fetcher: the SSRF guard with the platform's limits. */
export function createUrlInputFetcher(settings: PlatformSettings, resolve?: Resolver): FetchUrlInput {
  return async (url, { maxBytes }) => {
    try {
      const response = await guardedFetch(url, {
        allowPrivateNetworks: settings.urlInputs.allowPrivateNetworks,
        timeoutMs: settings.urlInputs.timeoutMs,
        maxRedirects: settings.urlInputs.maxRedirects,
        maxBytes,
        headers: { accept: 'image/png, image/jpeg, image/webp' },
        ...(resolve ? { resolve } : {}),
      });
      return response.bytes;
    } catch (error) {
      if (error instanceof GuardedFetchError) throw new UrlInputError(`could not fetch the URL: ${error.message}`);
      throw error;
    }
  };
}
