// Installs the packaged plugin the way a user gets it: krew, from the generated manifest and the linux-amd64
// archive, into a throwaway KREW_ROOT. e2e tests then run `kubectl multus ...` through kubectl's plugin lookup.
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {copyFile, mkdtemp} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

const run = promisify(execFile);
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bigOutput = {maxBuffer: 64 * 1024 * 1024};

export interface KrewInstall {
	/** The KREW_ROOT the plugin was installed into. */
	krewRoot: string;
	/** $KREW_ROOT/bin, holding the kubectl-multus link; put it first on PATH. */
	binDir: string;
	/** The kubectl to call the plugin through: the one built in the cache, else the one on PATH. */
	kubectl: string;
	/** process.env with binDir first on PATH, KREW_ROOT set and krew's upgrade check off. */
	env: NodeJS.ProcessEnv;
}

interface CachePaths {
	multusCache: string;
	toolsBin: string;
}

let cachePaths: Promise<CachePaths> | undefined;

/** MULTUS_CACHE and TOOLS_BIN as scripts/versions.sh defines them (one definition, read by bash). */
export function cacheDirs(): Promise<CachePaths> {
	cachePaths ??= run('bash', ['-c', '. scripts/versions.sh && printf "%s\\n%s" "$MULTUS_CACHE" "$TOOLS_BIN"'], {cwd: repoRoot}).then(
		({stdout}) => {
			const [multusCache = '', toolsBin = ''] = stdout.split('\n');
			return {multusCache, toolsBin};
		},
	);
	return cachePaths;
}

/** kubectl built by scripts/build-tools if present, else the one on PATH. */
export async function kubectlPath(): Promise<string> {
	const cached = path.join((await cacheDirs()).toolsBin, 'kubectl');
	return existsSync(cached) ? cached : 'kubectl';
}

/** Directory holding krew and validate-krew-manifest, built by scripts/build-krew (cached). */
export async function buildKrew(): Promise<string> {
	const {stdout} = await run('bash', ['scripts/build-krew'], {cwd: repoRoot, ...bigOutput});
	return stdout.trim();
}

let packaged: {platforms: string; result: Promise<{manifestDir: string; log: string}>} | undefined;

/**
 * Runs scripts/package for the given platforms (cached per bundle) and returns a private copy of its manifest.
 * Once per test process: a later call for a subset of what was packaged reuses that build.
 */
export function packageRelease(platforms = 'linux-amd64'): Promise<{manifestDir: string; log: string}> {
	const covers = (done: string, wanted: string): boolean =>
		done === 'all' || wanted.split(',').every(platform => done.split(',').includes(platform));
	if (packaged && covers(packaged.platforms, platforms)) return packaged.result;
	const result = (async () => {
		const {stderr} = await run('bash', ['scripts/package', '--platforms', platforms], {cwd: repoRoot, ...bigOutput});
		// krew's validator insists the file is named after metadata.name.
		const manifestDir = await mkdtemp(path.join(tmpdir(), 'multus-manifest-'));
		await copyFile(path.join(repoRoot, 'dist/krew/multus.yaml'), path.join(manifestDir, 'multus.yaml'));
		return {manifestDir, log: stderr};
	})();
	packaged = {platforms, result};
	return result;
}

let installed: Promise<KrewInstall> | undefined;

/** Packages linux-amd64 (unless this process already did) and installs it with krew into a fresh KREW_ROOT; once per process. */
export function installWithKrew(): Promise<KrewInstall> {
	installed ??= (async () => {
		const [krewBin, {manifestDir}, kubectl] = await Promise.all([buildKrew(), packageRelease('linux-amd64'), kubectlPath()]);
		const krewRoot = await mkdtemp(path.join(tmpdir(), 'multus-krew-'));
		const binDir = path.join(krewRoot, 'bin');
		const env = {
			...process.env,
			KREW_ROOT: krewRoot,
			KREW_NO_UPGRADE_CHECK: '1',
			PATH: `${binDir}${path.delimiter}${process.env['PATH'] ?? ''}`,
		};
		await run(
			path.join(krewBin, 'krew'),
			['install', `--manifest=${path.join(manifestDir, 'multus.yaml')}`, `--archive=${path.join(repoRoot, 'dist/kubectl-multus_linux_amd64.tar.gz')}`],
			{env, ...bigOutput},
		);
		return {krewRoot, binDir, kubectl, env};
	})();
	return installed;
}
