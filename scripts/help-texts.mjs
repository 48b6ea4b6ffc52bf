// The usage texts (source/help.ts, from the declarations in source/flags.ts), made at bundle time: the entry then
// prints a string for --help instead of running the code that writes it (about 1.5 ms of a 25 ms start).
// Used by scripts/bundle.mjs and scripts/build-sea.mjs as an esbuild define, __MULTUS_HELP__.
import * as esbuild from 'esbuild';
import path from 'node:path';
import {createRequire} from 'node:module';

/** {"": the general text, doctor: …, scan: …, …}, as JSON for esbuild's define. */
export async function helpTextsDefine(root) {
	const built = await esbuild.build({
		entryPoints: [path.join(root, 'source/help.ts')],
		absWorkingDir: root,
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node22',
		write: false,
		logLevel: 'warning',
	});
	const module = {exports: {}};
	new Function('module', 'exports', 'require', built.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
	const {helpText, commands} = module.exports;
	return JSON.stringify(Object.fromEntries([['', helpText()], ...commands.map(command => [command, helpText(command)])]));
}
