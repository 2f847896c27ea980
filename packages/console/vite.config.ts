import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console's build: a static single-page app under /console/ (the API process serves dist/).
// Hashed file names under assets/ (cached for a year), no inline scripts (the page's policy is
// script-src 'self'), nothing fetched from another origin.

/** The console package's folder. */
export const CONSOLE_ROOT = fileURLToPath(new URL('.', import.meta.url));

/**
 * Written by Vite as the nonce of index.html's tags and of a <meta property="csp-nonce">; the API
 * replaces it per response with a fresh nonce that the page's style-src allows. The app hands it
 * to the style tag Radix's scroll lock inserts (react-remove-scroll, through get-nonce), so modal
 * dialogs work under style-src without 'unsafe-inline'. Scripts never get a nonce. The same
 * string is in functions/api/src/routes/console/serve-console.ts.
 */
export const CSP_NONCE_PLACEHOLDER = 'KONTEXT_CSP_NONCE';

export default defineConfig({
  root: CONSOLE_ROOT,
  base: '/console/',
  // No public/ folder: every file the app needs comes from src/ with a hashed name.
  publicDir: false,
  plugins: [react()],
  html: { cspNonce: CSP_NONCE_PLACEHOLDER },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every asset is a file of its own: nothing inlined as a data: URL into scripts or styles.
    assetsInlineLimit: 0,
    // Browsers of this decade support modulepreload; the polyfill is script we do not need.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
    rolldownOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
