#!/usr/bin/env node
// Bundles the CLI for a Node single executable application (SEA) as two classic scripts: the SEA's main, from
// source/entry.ts, which answers `--help` alone; and the CLI, from source/cli.tsx, an asset that the main compiles
// only for anything else (source/sea/load-cli.ts). A SEA parses its whole main at every start, so a 3 MB main
// cost `--help` about 30 ms.
//
// Node 22's SEA main must be a CommonJS script whose `require` sees only builtins, but Ink and yoga use
// top-level await. So the CLI is bundled as ESM (top-level await allowed, the lazy `import('./commands/x.js')`
// calls are inlined because their specifiers are static strings), the few `import ... from 'node:x'` lines
// left are rewritten to `require`, and the whole bundle is wrapped in an async function, itself inside a function
// of the CommonJS names (require, __filename, __dirname) that the loader passes in.
// See docs/distribution.md and shared/research/distribution.md §3.2.
//
// Usage: node scripts/build-sea.mjs [--out dist/sea/sea-main.cjs] [--no-minify]
// Writes the main there and the CLI next to it (cli.cjs); prints the build info (version, commit, bytes, the SEA
// assets) as JSON on stdout, and writes it to build-info.json next to them.
import * as esbuild from 'esbuild';
import {helpTextsDefine} from './help-texts.mjs';
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = path.resolve(root, outIndex >= 0 ? args[outIndex + 1] : 'dist/sea/sea-main.cjs');
const minify = !args.includes('--no-minify');

const {version} = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const commit =
	process.env.MULTUS_COMMIT ??
	execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {cwd: root, encoding: 'utf8'}).trim();

// Ink imports react-devtools-core only when DEV=true; the release never does, so don't carry it.
const stubDevtools = {
	name: 'stub-react-devtools-core',
	setup(build) {
		build.onResolve({filter: /^react-devtools-core$/}, () => ({path: 'react-devtools-core', namespace: 'stub'}));
		build.onLoad({filter: /.*/, namespace: 'stub'}, () => ({
			contents: 'export default {initialize() {}, connectToDevTools() {}};',
		}));
	},
};

const result = await esbuild.build({
	entryPoints: [path.join(root, 'source/cli.tsx')],
	absWorkingDir: root,
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node22',
	jsx: 'automatic',
	legalComments: 'none',
	write: false,
	metafile: true,
	logLevel: 'warning',
	plugins: [stubDevtools],
	define: {
		'process.env.NODE_ENV': '"production"',
		'import.meta': '__importMeta',
		__MULTUS_VERSION__: JSON.stringify(version),
		__MULTUS_COMMIT__: JSON.stringify(commit),
	},
});

let code = result.outputFiles[0].text;

/** `import clause from "mod"` -> `const ... = require("mod")`; only builtins are left after bundling. */
function importToRequire(clause, mod) {
	clause = clause.trim();
	const namespace = clause.match(/^\*\s+as\s+([\w$]+)$/);
	if (namespace) return `const ${namespace[1]} = require(${mod});`;
	const parts = clause.match(/^([\w$]+)?\s*,?\s*(\{[^}]*\})?$/s);
	if (!parts) throw new Error(`build-sea: unhandled import clause: ${clause}`);
	const statements = [];
	if (parts[1]) statements.push(`const ${parts[1]} = require(${mod});`);
	if (parts[2]) statements.push(`const ${parts[2].replace(/([\w$]+)\s+as\s+([\w$]+)/g, '$1: $2')} = require(${mod});`);
	return statements.join(' ');
}

code = code
	.replace(/^#!.*\n/, '')
	.replace(/^import\s+([^;]*?)\s+from\s+("(?:node:)?[\w/]+");?$/gm, (_, clause, mod) => importToRequire(clause, mod))
	.replace(/^import\s+("(?:node:)?[\w/]+");?$/gm, (_, mod) => `require(${mod});`)
	// The entry's own exports (helpText, main for tests) mean nothing to a script.
	.replace(/^export\s*\{[^}]*\};?\s*$/m, '');
// Fail loudly rather than ship a binary that dies at start: nothing module-level may survive the rewrite.
if (/^\s*(import|export)\b/m.test(code)) throw new Error('build-sea: ESM syntax left at top level of the bundle');
// A dynamic import that esbuild could not inline would need a file next to the binary, which a SEA does not have.
// (Unresolved require() calls are left only inside try/catch, for optional modules such as bufferutil.)
const builtins = new Set((await import('node:module')).builtinModules);
const unbundled = Object.values(result.metafile.outputs)
	.flatMap(output => output.imports)
	.filter(entry => entry.kind === 'dynamic-import' && !builtins.has(entry.path.replace(/^node:/, '')))
	.map(entry => `${entry.path} (${entry.kind})`);
if (unbundled.length > 0) throw new Error(`build-sea: imports left unbundled: ${[...new Set(unbundled)].join(', ')}`);

let script = `"use strict";
const __importMeta = {url: require("node:url").pathToFileURL(__filename).href, filename: __filename, dirname: __dirname};
(async () => {
${code}
})().catch((error) => { console.error(error); process.exitCode = 1; });
`;
// Minify after the rewrite: minified ESM puts all imports on one line and the rewrite would miss them.
// ASCII only, either way: one non-ASCII character (a glyph in the help, a ’ in a comment) makes V8 hold the whole
// script as a two-byte string, twice the memory, and read it more slowly at every start.
script = (await esbuild.transform(script, {minify, legalComments: 'none', target: 'node22', charset: 'ascii'})).code;
// Wrapped after minifying, which would drop a function expression that nothing calls.
script = `(function (require, __filename, __dirname) {${script}\n})`;

// The main: the entry, with ./cli.js replaced by the loader of the asset above.
const seaLoader = {
	name: 'cli-from-sea-asset',
	setup(build) {
		build.onResolve({filter: /^\.\/cli\.js$/}, () => ({path: path.join(root, 'source/sea/load-cli.ts')}));
	},
};
const main = await esbuild.build({
	entryPoints: [path.join(root, 'source/entry.ts')],
	absWorkingDir: root,
	bundle: true,
	platform: 'node',
	format: 'cjs',
	target: 'node22',
	minify,
	legalComments: 'none',
	charset: 'ascii',
	write: false,
	logLevel: 'warning',
	plugins: [seaLoader],
	define: {__MULTUS_HELP__: await helpTextsDefine(root)},
});
const mainScript = main.outputFiles[0].text.replace(/^#!.*\n/, '');

mkdirSync(path.dirname(out), {recursive: true});
writeFileSync(out, mainScript);
const cliOut = path.join(path.dirname(out), 'cli.cjs');
writeFileSync(cliOut, script);
const inputs = Object.keys(result.metafile.inputs);
const info = {
	version,
	commit,
	bytes: Buffer.byteLength(script),
	mainBytes: Buffer.byteLength(mainScript),
	commands: inputs.filter(file => file.startsWith('source/commands/')).sort(),
	out: path.relative(root, out),
	cli: path.relative(root, cliOut),
};
writeFileSync(path.join(path.dirname(out), 'build-info.json'), JSON.stringify(info, null, '\t') + '\n');
process.stdout.write(JSON.stringify(info) + '\n');
