// The release as a user receives it: six archives and a krew manifest from scripts/package, installed by a real
// krew, run through kubectl's plugin mechanism; darwin signatures checked page by page; the non-native Linux and
// Windows builds run under emulators. Warm (same bundle, tools cached) this takes a few seconds.
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {createReadStream, existsSync, readFileSync} from 'node:fs';
import {mkdtemp, readFile, symlink, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {before, describe, test} from 'node:test';
import {promisify} from 'node:util';
import {parse} from 'yaml';
import {codeDirectoryOf, verifySignature} from '../../scripts/macho.js';
import {buildKrew, cacheDirs, installWithKrew, packageRelease, repoRoot} from '../helpers/krew.js';

const run = promisify(execFile);
const platforms = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64', 'windows-amd64', 'windows-arm64'];
const archiveOf = (platform: string): string => {
	const [os = '', arch = ''] = platform.split('-');
	return `kubectl-multus_${os}_${arch}.${os === 'windows' ? 'zip' : 'tar.gz'}`;
};

interface Manifest {
	apiVersion: string;
	kind: string;
	metadata: {name: string};
	spec: {
		version: string;
		homepage: string;
		shortDescription: string;
		description: string;
		caveats: string;
		platforms: Array<{
			selector: {matchLabels: {os: string; arch: string}};
			uri: string;
			sha256: string;
			bin: string;
			files: Array<{from: string; to: string}>;
		}>;
	};
}

async function sha256(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

describe('release packaging (scripts/package)', () => {
	let manifestDir = '';
	let manifest: Manifest;
	let krewBin = '';
	let build: {version: string; commit: string; commands: string[]};
	const packageVersion = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {version: string}).version;

	before(async () => {
		[{manifestDir}, krewBin] = await Promise.all([packageRelease('all'), buildKrew()]);
		manifest = parse(await readFile(path.join(manifestDir, 'multus.yaml'), 'utf8')) as Manifest;
		build = JSON.parse(await readFile(path.join(repoRoot, 'dist/sea/build-info.json'), 'utf8')) as typeof build;
	});

	test('the bundle inlines every lazily imported command', () => {
		for (const command of ['complete', 'doctor', 'report', 'scan', 'undo', 'version']) {
			assert.ok(build.commands.includes(`source/commands/${command}.ts`), `${command} missing from the bundle`);
		}
	});

	test('the manifest lists six platforms whose sha256 match the archives', async () => {
		assert.equal(manifest.apiVersion, 'krew.googlecontainertools.github.com/v1alpha2');
		assert.equal(manifest.kind, 'Plugin');
		assert.equal(manifest.metadata.name, 'multus');
		assert.equal(manifest.spec.version, `v${packageVersion}`);
		assert.ok(manifest.spec.shortDescription.length <= 50);
		for (const line of manifest.spec.description.split('\n')) assert.ok(line.length <= 80, `description line over 80: ${line}`);
		assert.match(manifest.spec.caveats, /kubectl_complete-multus/);
		assert.deepEqual(
			manifest.spec.platforms.map(p => `${p.selector.matchLabels.os}-${p.selector.matchLabels.arch}`),
			platforms,
		);
		for (const [index, platform] of platforms.entries()) {
			const entry = manifest.spec.platforms[index]!;
			const archive = path.join(repoRoot, 'dist', archiveOf(platform));
			assert.match(entry.sha256, /^[a-f0-9]{64}$/);
			assert.equal(entry.sha256, await sha256(archive), `${platform} sha256`);
			assert.equal(entry.uri, `${manifest.spec.homepage}/releases/download/v${packageVersion}/${archiveOf(platform)}`);
			assert.equal(entry.bin, platform.startsWith('windows') ? 'kubectl-multus.exe' : 'kubectl-multus');
		}
	});

	test('validate-krew-manifest accepts the manifest', async () => {
		const {stderr} = await run(path.join(krewBin, 'validate-krew-manifest'), ['-manifest', 'multus.yaml', '-skip-install'], {
			cwd: manifestDir,
		});
		assert.match(stderr, /structural validation OK/);
	});

	test('krew installs every platform from the manifest and its archive, LICENSE included', async () => {
		await Promise.all(
			platforms.map(async platform => {
				const [os = '', arch = ''] = platform.split('-');
				const krewRoot = await mkdtemp(path.join(tmpdir(), `multus-krew-${platform}-`));
				const archive = path.join(repoRoot, 'dist', archiveOf(platform));
				await run(path.join(krewBin, 'krew'), ['install', `--manifest=${path.join(manifestDir, 'multus.yaml')}`, `--archive=${archive}`], {
					env: {...process.env, KREW_ROOT: krewRoot, KREW_OS: os, KREW_ARCH: arch, KREW_NO_UPGRADE_CHECK: '1'},
					maxBuffer: 1 << 24,
				});
				const store = path.join(krewRoot, 'store/multus', manifest.spec.version);
				const exe = os === 'windows' ? 'kubectl-multus.exe' : 'kubectl-multus';
				const completer = os === 'windows' ? 'kubectl_complete-multus.cmd' : 'kubectl_complete-multus';
				for (const file of [exe, completer, 'LICENSE']) assert.ok(existsSync(path.join(store, file)), `${platform}: ${file} not installed`);
			}),
		);
	});

	test('kubectl multus version runs the krew-installed executable and prints version and commit', async () => {
		const {kubectl, env, binDir} = await installWithKrew();
		assert.match(build.commit, /^[0-9a-f]{12}$/);
		const {stdout} = await run(kubectl, ['multus', 'version'], {env});
		assert.equal(stdout, `kubectl-multus ${packageVersion} (commit ${build.commit}, node 22.23.2)\n`);
		const help = await run(kubectl, ['multus', '--help'], {env});
		assert.match(help.stdout, /kubectl multus doctor/);
		// --help is answered by the small main; anything else compiles the CLI asset, from its V8 code cache here.
		const cache = await run(kubectl, ['multus', 'version'], {env: {...env, KUBECTL_MULTUS_CODE_CACHE: 'report'}});
		assert.equal(cache.stderr, 'code cache: accepted\n');
		// Run as kubectl_complete-multus (the caveats' symlink), the same binary answers kubectl's completion.
		await symlink('kubectl-multus', path.join(binDir, 'kubectl_complete-multus'));
		const completion = await run(kubectl, ['__complete', 'multus', 'doctor', '--conte'], {env});
		assert.equal(completion.stdout, '--context\n--contexts\n:4\n');
	});

	test('kubectl multus doctor --check through the krew-installed executable diagnoses the local cluster', async t => {
		const {kubectl, env} = await installWithKrew();
		const cluster = await import('../helpers/cluster.js');
		cluster.applyScenario('broken-thick');
		t.after(() => cluster.deleteScenario('broken-thick'));
		const result = await new Promise<{code: number | null; stdout: string; stderr: string}>(resolve => {
			execFile(kubectl, ['multus', 'doctor', '--check', '-o', 'json'], {env: {...env, KUBECONFIG: cluster.kubeconfig}}, (error, stdout, stderr) =>
				resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr}));
		});
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.verdict, 'problem');
		assert.equal(report.tool.commit, build.commit);
		assert.deepEqual(report.findings.accessReview, {list: false, watch: false});
		assert.deepEqual(report.plan.addText, ['pods [""]: list, watch']);
	});

	test('darwin executables carry a valid ad-hoc signature over every page', async () => {
		for (const platform of ['darwin-arm64', 'darwin-amd64']) {
			const report = verifySignature(await readFile(path.join(repoRoot, 'dist/package', platform, 'kubectl-multus')));
			assert.deepEqual(report.problems, [], platform);
			assert.ok(report.adhoc && report.identifier === 'kubectl-multus' && report.pages > 20_000, platform);
		}
	});

	test('rcodesign, an independent signer, writes the same CodeDirectory as ours', async t => {
		const rcodesign = path.join((await cacheDirs()).multusCache, 'rcodesign-0.29.0/bin/rcodesign');
		if (!existsSync(rcodesign)) {
			t.skip('rcodesign not built: scripts/build-rcodesign (cargo, about 10 minutes on 2 cores)');
			return;
		}
		for (const platform of ['darwin-arm64', 'darwin-amd64']) {
			const ours = await readFile(path.join(repoRoot, 'dist/package', platform, 'kubectl-multus'));
			const theirsPath = path.join(await mkdtemp(path.join(tmpdir(), 'multus-rcodesign-')), 'kubectl-multus');
			await writeFile(theirsPath, ours);
			await run(rcodesign, ['sign', theirsPath], {maxBuffer: 1 << 24});
			const theirs = await readFile(theirsPath);
			assert.deepEqual(verifySignature(theirs).problems, [], `${platform}: rcodesign output`);
			// rcodesign reserves more room for the signature, which changes only the header page and so its hash.
			const [a, b] = [codeDirectoryOf(ours), codeDirectoryOf(theirs)];
			const firstPageHash = a.readUInt32BE(16);
			assert.equal(a.length, b.length, platform);
			assert.ok(a.subarray(0, firstPageHash).equals(b.subarray(0, firstPageHash)), `${platform}: CodeDirectory header differs`);
			assert.ok(a.subarray(firstPageHash + 32).equals(b.subarray(firstPageHash + 32)), `${platform}: page hashes differ`);
		}
	});

	for (const platform of ['linux-arm64', 'windows-amd64']) {
		test(`${platform} runs --help and version under an emulator`, async t => {
			try {
				const {stdout} = await run('bash', ['scripts/check-cross', platform], {cwd: repoRoot});
				assert.match(stdout, new RegExp(`${platform}: kubectl-multus ${build.version} `));
			} catch (error) {
				const {code, stderr} = error as {code?: number; stderr?: string};
				if (code === 77) t.skip(String(stderr).trim());
				else throw error;
			}
		});
	}
});
