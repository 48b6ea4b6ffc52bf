// Inside the single-file binary the CLI is an asset, compiled only when the arguments ask for more than the usage
// text: scripts/build-sea.mjs makes source/entry.ts import this module in place of ./cli.js. On the platform that
// built the release (linux-amd64) a V8 code cache made by the same Node comes with it, as Node's own SEA code cache
// would for a main script; elsewhere the script is compiled as it loads.
import path from 'node:path';
import {getAsset, getRawAsset} from 'node:sea';
import {Script, constants} from 'node:vm';

/** The asset names, as scripts/package writes them into the SEA configuration. */
const cliAsset = 'cli.cjs';
const cliCodeCacheAsset = 'cli.cache';

let cachedData: Buffer | undefined;
try {
	cachedData = Buffer.from(getRawAsset(cliCodeCacheAsset));
} catch {
	// No code cache for this platform.
}

const script = new Script(getAsset(cliAsset, 'utf8'), {
	filename: path.join(process.execPath, cliAsset),
	...(cachedData ? {cachedData} : {}),
	importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
// The packaging checks that the code cache is used (a rejected one costs a quarter of the start-up, silently).
if (process.env['KUBECTL_MULTUS_CODE_CACHE'] === 'report') {
	process.stderr.write(`code cache: ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'none'}\n`);
}
// The asset is a function of the CommonJS names the bundle uses (scripts/build-sea.mjs).
(script.runInThisContext() as (require: NodeJS.Require, filename: string, dirname: string) => void)(require, process.execPath, path.dirname(process.execPath));
