import type { UserSession } from '../api/types.ts';

// The account page: sessions as people recognise them (browser and system from the user agent),
// and which of them "sign out everywhere else" ends. Pure.

const BROWSERS: [RegExp, string][] = [
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrom(e|ium)\/|CriOS\//, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/curl\//, 'curl'],
];

const SYSTEMS: [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** `Chrome on Linux`, `Firefox`, `Safari on iOS`; `An unknown device` without a user agent. */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'An unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'An unknown browser';
}

/** The sessions "sign out everywhere else" ends: all but the one making the request. */
export function otherSessions(sessions: readonly UserSession[]): UserSession[] {
  return sessions.filter((session) => !session.current);
}

/** The list as shown: this device first, then the most recently used. */
export function sessionsInOrder(sessions: readonly UserSession[]): UserSession[] {
  return [...sessions].sort((a, b) => Number(b.current) - Number(a.current) || Date.parse(b.last_seen_at) - Date.parse(a.last_seen_at));
}
