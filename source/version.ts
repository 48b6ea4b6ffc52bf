// Replaced at bundle time (scripts/package defines these); the dev build reads package.json.
declare const __MULTUS_VERSION__: string | undefined;
declare const __MULTUS_COMMIT__: string | undefined;

import {existsSync, readFileSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import path from 'node:path';

export interface VersionInfo {
	version: string;
	commit: string;
}

let cached: VersionInfo | undefined;

/** Version and commit of this build: baked in for release binaries, read from the checkout in development. */
export function versionInfo(): VersionInfo {
	if (cached) return cached;
	if (typeof __MULTUS_VERSION__ === 'string' && typeof __MULTUS_COMMIT__ === 'string') {
		cached = {version: __MULTUS_VERSION__, commit: __MULTUS_COMMIT__};
		return cached;
	}
	// dist/cli.js, dist/bundle/cli.js or source/version.ts: the checkout is the nearest folder with our package.json.
	let root = path.dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 4 && !existsSync(path.join(root, 'package.json')); i++) root = path.dirname(root);
	let version = '0.0.0-dev';
	let commit = 'unknown';
	try {
		version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}).version;
	} catch {}
	try {
		commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {cwd: root, stdio: ['ignore', 'pipe', 'ignore']})
			.toString()
			.trim();
	} catch {}
	cached = {version, commit};
	return cached;
}
