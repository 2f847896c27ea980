import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

// What a first visit downloads: the entry chunk and its static imports (what index.html loads),
// gzipped at level 9 as the API serves them, with a breakdown by package; then the pages loaded
// later. A production build into a temporary folder (dist/ is left alone).
//
//   npm run size -w packages/console


interface Chunk {
  file: string;
  isEntry: boolean;
  imports: string[];
  code: string;
  modules: { id: string; code: string }[];
}

const chunks: Chunk[] = [];
const measure: Plugin = {
  name: 'measure-bundle',
  generateBundle(_options, bundle) {
    for (const output of Object.values(bundle)) {
      if (output.type !== 'chunk') continue;
      chunks.push({
        file: output.fileName,
        isEntry: output.isEntry,
        imports: output.imports,
        code: output.code,
        modules: Object.entries(output.modules).map(([id, module]) => ({ id, code: module.code ?? '' })),
      });
    }
  },
};

const [{ build }, { default: config }] = await Promise.all([import('vite'), import('../vite.config.ts')]);
const outDir = await mkdtemp(join(tmpdir(), 'console-size-'));
try {
  // Production mode and React's production build whatever NODE_ENV the caller has (vitest sets `test`).
  await build({
    ...config,
    mode: 'production',
    define: { ...config.define, 'process.env.NODE_ENV': JSON.stringify('production') },
    configFile: false,
    logLevel: 'warn',
    plugins: [...(config.plugins ?? []), measure], build: { ...config.build, outDir, emptyOutDir: true },
  });
} finally {
  await rm(outDir, { recursive: true, force: true });
}

const gz = (text: string) => gzipSync(text, { level: 9 }).length;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const byFile = new Map(chunks.map((chunk) => [chunk.file, chunk]));
const initial = new Set<string>();
const visit = (file: string) => {
  if (initial.has(file)) return;
  initial.add(file);
  for (const imported of byFile.get(file)?.imports ?? []) visit(imported);
};
for (const chunk of chunks) if (chunk.isEntry) visit(chunk.file);

/** node_modules/<package> (scoped or not), the console's own src/, or the workspace package a file is in. */
const groupOf = (id: string): string => {
  const path = id.replace(/\\/g, '/').replace(/^\0/, '');
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path.slice(path.lastIndexOf('node_modules/')));
  if (inModules) return inModules[1]!;
  if (path.includes('/packages/console/')) return 'console src';
  return path.includes('/packages/') ? `@kontext/${/\/packages\/([^/]+)\//.exec(path)?.[1]}` : 'other';
};

const lines: string[] = [];
let initialRaw = 0;
let initialGz = 0;
for (const file of initial) {
  const chunk = byFile.get(file)!;
  initialRaw += chunk.code.length;
  initialGz += gz(chunk.code);
  lines.push(`  ${file}: ${kb(chunk.code.length)} KB, ${kb(gz(chunk.code))} KB gzipped`);
}
console.log(`Initial JS (index.html and its static imports): ${kb(initialRaw)} KB, ${kb(initialGz)} KB gzipped`);
console.log(lines.join('\n'));

// Modules are known before minification only: each chunk's gzipped size is shared among its
// packages in proportion to their code gzipped before minification (an estimate; it adds up).
const estimate = new Map<string, number>();
for (const file of initial) {
  const chunk = byFile.get(file)!;
  const parts = new Map<string, string>();
  for (const module of chunk.modules) parts.set(groupOf(module.id), (parts.get(groupOf(module.id)) ?? '') + module.code);
  const weights = [...parts].map(([group, code]) => [group, gz(code)] as const);
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [group, weight] of weights) estimate.set(group, (estimate.get(group) ?? 0) + (gz(chunk.code) * weight) / total);
}
const family = (group: string) => (group.startsWith('@radix-ui/') || ['react-remove-scroll', 'react-remove-scroll-bar', 'react-style-singleton', 'use-sidecar', 'use-callback-ref', 'aria-hidden', 'get-nonce', 'tslib', 'radix-ui'].includes(group) ? 'radix-ui (its parts and helpers)' : group.startsWith('@floating-ui/') ? '@floating-ui (Radix positioning)' : group.startsWith('@tanstack/') && group.includes('router') || group === '@tanstack/history' ? '@tanstack/react-router (with router-core, history)' : group.startsWith('@tanstack/') && group.includes('query') ? '@tanstack/react-query (with query-core)' : group.startsWith('@tanstack/') && group.includes('store') ? '@tanstack/store (router state)' : ['react', 'react-dom', 'scheduler', 'use-sync-external-store'].includes(group) ? 'react + react-dom (with scheduler)' : group);
const families = new Map<string, number>();
for (const [group, bytes] of estimate) families.set(family(group), (families.get(family(group)) ?? 0) + bytes);
console.log('Initial JS by package, gzipped (estimated):');
for (const [group, bytes] of [...families].sort((a, b) => b[1] - a[1])) console.log(`  ${group}: ${kb(bytes)} KB`);

console.log('Loaded when first needed:');
for (const chunk of chunks.filter((c) => !initial.has(c.file))) console.log(`  ${chunk.file}: ${kb(chunk.code.length)} KB, ${kb(gz(chunk.code))} KB gzipped`);
