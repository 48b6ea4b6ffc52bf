#!/usr/bin/env node
// Bundles source/ into dist/bundle/ for bin/kubectl-multus: the entry (source/entry.ts) as one small CommonJS
// file, kubectl-multus.cjs, that answers `--help` alone; and the CLI (ESM, code-split at its lazy imports), which
// the entry loads for anything else. Loading one pre-linked file per command instead of hundreds of modules halves
// the start-up of `doctor`. Release binaries use scripts/build-sea.mjs instead.
import * as esbuild from 'esbuild';
import {helpTextsDefine} from './help-texts.mjs';
import {rmSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Chunk names change with their content: start empty so old chunks do not pile up.
rmSync(path.join(root, 'dist/bundle'), {recursive: true, force: true});
// Whitespace-free and ASCII only: one non-ASCII character (a ’ in a dependency's comment) makes V8 keep the whole
// 7 MB chunk as a two-byte string, 15 MB of memory; whitespace-free also parses faster. Names stay.
const compact = {minifyWhitespace: true, charset: 'ascii', legalComments: 'none'};
await esbuild.build({
	entryPoints: [path.join(root, 'source/entry.ts')],
	absWorkingDir: root,
	outfile: path.join(root, 'dist/bundle/kubectl-multus.cjs'),
	bundle: true,
	platform: 'node',
	format: 'cjs',
	target: 'node22',
	...compact,
	logLevel: 'warning',
	// The CLI stays a separate file, loaded by a real import() only when needed.
	external: ['./cli.js'],
	define: {__MULTUS_HELP__: await helpTextsDefine(root)},
});
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
	...compact,
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
