import type { ApiApp } from '../../env.ts';
import { defaultConsoleDirectory, registerConsole, type ConsoleRouteDependencies } from './serve-console.ts';

export { CONSOLE_CSP, consoleSegments, contentTypeOf, defaultConsoleDirectory } from './serve-console.ts';

/**
 * GET /console and /console/*: the tenant web console, from `consoleDirectory` (default
 * packages/console/dist of this checkout). Without a built index.html there, /console answers 404.
 */
export function registerConsoleRoutes(app: ApiApp, deps: ConsoleRouteDependencies, consoleDirectory?: string): void {
  registerConsole(app, deps, consoleDirectory ?? defaultConsoleDirectory());
}
