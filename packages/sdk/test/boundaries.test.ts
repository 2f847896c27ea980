import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The SDK is a client: it runs in browsers as well as Node and must never depend on server code.
// So its src may import no other @kontext/* package, no Node built-in except through a dynamic
// import() (loaded only on the Node-only path that needs it), and no `any` type.

const SRC = new URL('../src/', import.meta.url);
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function isForbiddenPackage(specifier: string): boolean {
  return specifier.startsWith('@kontext/') && specifier !== '@kontext/sdk' && !specifier.startsWith('@kontext/sdk/');
}

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0] ?? '');
}

/** What breaks the rule in one source file, as readable lines. */
function boundaryViolations(source: string, fileName = 'file.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const where = (node: ts.Node) => `${fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const checkStatic = (specifier: string, node: ts.Node) => {
    if (isForbiddenPackage(specifier)) found.push(`${where(node)} imports ${specifier}`);
    else if (isNodeBuiltin(specifier)) found.push(`${where(node)} imports ${specifier} statically (use a dynamic import on the Node-only path)`);
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      checkStatic(node.moduleSpecifier.text, node);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      checkStatic(node.moduleReference.expression.text, node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      checkStatic(node.argument.literal.text, node);
    } else if (ts.isCallExpression(node)) {
      const [argument] = node.arguments;
      const specifier = argument && ts.isStringLiteralLike(argument) ? argument.text : undefined;
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        // A dynamic import may load a Node built-in (only run where it exists), never server code.
        if (specifier === undefined) found.push(`${where(node)} imports a computed module name`);
        else if (isForbiddenPackage(specifier)) found.push(`${where(node)} imports ${specifier}`);
      } else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') {
        found.push(`${where(node)} calls require(${specifier ?? '…'})`);
      }
    } else if (node.kind === ts.SyntaxKind.AnyKeyword) {
      found.push(`${where(node)} uses the type any`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

async function sourceFiles(directory: URL): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => join(entry.parentPath, entry.name));
}

describe('the SDK stays a client', () => {
  it('src imports no other @kontext package, no Node built-in statically, and has no any', async () => {
    const files = await sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(10);
    const violations: string[] = [];
    for (const path of files) {
      violations.push(...boundaryViolations(await readFile(path, 'utf8'), relative(SRC.pathname, path)));
    }
    expect(violations).toEqual([]);
  });

  it('the rule can fail: each kind of violation is caught', () => {
    const bad = [
      "import { submitJob } from '@kontext/services';",
      "export { thing } from '@kontext/core';",
      "import type { Database } from '@kontext/db';",
      "import { readFile } from 'node:fs/promises';",
      "import { createHmac } from 'crypto';",
      "import path = require('path');",
      "const x = require('node:os');",
      "type T = import('node:stream').Readable;",
      "const y = await import('@kontext/api');",
      'const z: any = 1;',
    ];
    for (const line of bad) expect(boundaryViolations(line), line).toHaveLength(1);
  });

  it('what the SDK may do passes', () => {
    const good = [
      "import { Kontext } from './client.ts';",
      "import type { X } from '@kontext/sdk';",
      "const { readFile } = await import('node:fs/promises');",
      "const text = 'import from \"@kontext/core\" in a string is not an import';",
      'const n: unknown = 1;',
    ];
    for (const line of good) expect(boundaryViolations(line), line).toEqual([]);
  });
});
