#!/usr/bin/env node
// Bundles source/ into dist/bundle/ (ESM, code-split at the CLI's lazy imports) for bin/kubectl-multus:
// loading one pre-linked file per command instead of hundreds of modules halves the start-up of `doctor`,
// and `--help` still loads only the CLI chunk. Release binaries use scripts/build-sea.mjs instead.
import * as esbuild from 'esbuild';
import {rmSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Chunk names change with their content: start empty so old chunks do not pile up.
rmSync(path.join(root, 'dist/bundle'), {recursive: true, force: true});
await esbuild.build({
	entryPoints: [path.join(root, 'source/cli.tsx')],
	absWorkingDir: root,
	outdir: path.join(root, 'dist/bundle'),
	bundle: true,
	splitting: true,
	platform: 'node',
	format: 'esm',
	target: 'node22',
	jsx: 'automatic',
	legalComments: 'none',
	// No comments and ASCII only: one non-ASCII character (a ’ in a dependency's comment) makes V8 keep the
	// whole 7 MB chunk as a two-byte string, 15 MB of memory; whitespace-free also parses faster. Names stay.
	minifyWhitespace: true,
	charset: 'ascii',
	logLevel: 'warning',
	// Packages that resolve `require` dynamically stay CommonJS-compatible through this banner.
	banner: {js: "import {createRequire as __multusCreateRequire} from 'node:module'; const require = __multusCreateRequire(import.meta.url);"},
	plugins: [
		{
			name: 'stub-react-devtools-core',
			setup(build) {
				build.onResolve({filter: /^react-devtools-core$/}, () => ({path: 'react-devtools-core', namespace: 'stub'}));
				build.onLoad({filter: /.*/, namespace: 'stub'}, () => ({contents: 'export default {initialize() {}, connectToDevTools() {}};'}));
			},
		},
	],
	define: {'process.env.NODE_ENV': '"production"'},
});
