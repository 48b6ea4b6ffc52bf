// `kubectl multus scan` on what support bundles are made of, from a real cluster running broken-thick (real
// multus-daemons denied list on pods): a gzip'd pod log, the tarball `kubectl multus report --bundle` writes
// (report.md, report.json, logs/<namespace>/<pod>/<container>.log), a tarball of the pods' whole logs packed by
// hand, and a real `kubectl cluster-info dump --output-directory` tree (and that tree tarred); then the dump of a
// healthy-thick cluster. The counts are checked against the logs themselves, read with kubectl or tar and counted here.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {gzipSync} from 'node:zlib';
import {after, before, describe, test} from 'node:test';
import {applyScenario, deleteScenario, kubectl, kubectlJson, podLog, runPlugin, waitFor} from '../helpers/cluster.js';
import type {ScanReport} from '../../source/commands/scan.js';

const namespace = 'kube-system';
/** A line of either form of the pods denial the daemon's client-go prints. */
const podsDenied = /pods is forbidden: User \\?"[^"\\]+\\?" cannot (list|watch) resource \\?"pods\\?"/;

interface Pod {
	name: string;
	containers: string[];
}

function multusPods(): Pod[] {
	const list = kubectlJson<{items: {metadata: {name: string}; spec: {initContainers?: {name: string}[]; containers: {name: string}[]}}[]}>(['-n', namespace, 'get', 'pods', '-l', 'name=multus']);
	return list.items.map(item => ({name: item.metadata.name, containers: [...(item.spec.initContainers ?? []), ...item.spec.containers].map(container => container.name)}));
}

function deniedLines(text: string): number {
	return text.split('\n').filter(line => podsDenied.test(line)).length;
}

let dir = '';
let pods: Pod[] = [];

before(async () => {
	applyScenario('broken-thick');
	dir = mkdtempSync(path.join(tmpdir(), 'kubectl-multus-scan-e2e-'));
	// Every daemon has logged its denial (its reflector lists at start-up, and again at each retry).
	pods = await waitFor('the Multus pods', () => {
		const found = multusPods();
		return found.length > 0 && found.every(pod => deniedLines(podLog(namespace, pod.name, 'kube-multus') ?? '') > 0) && found;
	}, 90_000);
});

after(() => {
	// The scenarios go too: a DaemonSet left behind would run its daemons under every later test.
	for (const scenario of ['healthy-thick', 'broken-thick']) deleteScenario(scenario);
	if (dir) rmSync(dir, {recursive: true, force: true});
});

describe('scan on support bundles from a cluster running broken-thick', () => {
	test('a gzip\'d pod log: every line scanned, each denial found by its line; exit 1', async () => {
		const pod = pods[0]!;
		const text = podLog(namespace, pod.name, 'kube-multus')!;
		const file = path.join(dir, `${pod.name}.log.gz`);
		writeFileSync(file, gzipSync(text));
		const result = await runPlugin(['scan', file, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(report.summary.format, 'gzip');
		assert.equal(report.summary.bytes, Buffer.byteLength(text));
		assert.equal(report.summary.podsForbidden, deniedLines(text));
		const lines = text.split('\n');
		for (const finding of report.findings) {
			assert.equal(finding.file, file);
			assert.match(lines[finding.line - 1] ?? '', podsDenied, `line ${finding.line} is a denial`);
			assert.equal(finding.code, 'MULTUS-LOG-001');
		}
		const plain = await runPlugin(['scan', file]);
		assert.equal(plain.code, 1);
		assert.match(plain.stdout, /once decompressed\) of .*\.log\.gz\./);
		assert.match(plain.stdout, /Multus is forbidden to list\/watch pods at cluster scope/);
	});

	test('the tarball kubectl multus report --bundle writes: every log in it by its path in the bundle, report.md and report.json not counted again', async () => {
		const tarball = path.join(dir, 'multus-report.tar.gz');
		const written = await runPlugin(['report', '--bundle', tarball]);
		assert.equal(written.code, 0, written.stderr); // report writes what it found; it is not a check
		// What the bundle holds, unpacked by the system's tar and counted here.
		const unpacked = path.join(dir, 'unpacked');
		mkdirSync(unpacked);
		execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
		const logsDir = path.join(unpacked, 'multus-report', 'logs', namespace);
		const perFile = new Map<string, number>();
		for (const pod of readdirSync(logsDir)) {
			for (const log of readdirSync(path.join(logsDir, pod))) {
				perFile.set(`multus-report/logs/${namespace}/${pod}/${log}`, deniedLines(readFileSync(path.join(logsDir, pod, log), 'utf8')));
			}
		}
		assert.ok(pods.every(pod => perFile.has(`multus-report/logs/${namespace}/${pod.name}/kube-multus.log`)), `the bundle holds every pod's log: ${[...perFile.keys()].join(', ')}`);
		assert.match(readFileSync(path.join(unpacked, 'multus-report', 'report.md'), 'utf8'), podsDenied, 'report.md quotes a denial (which scan must not count again)');

		const result = await runPlugin(['scan', tarball, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(report.summary.format, 'tar.gz');
		assert.deepEqual(new Map(report.summary.files.map(file => [file.file, file.podsForbidden])), perFile);
		assert.equal(report.summary.podsForbidden, [...perFile.values()].reduce((a, b) => a + b, 0));
		assert.deepEqual(report.summary.skipped.map(entry => [entry.file, entry.reason]).sort(), [['multus-report/report.json', 'structured'], ['multus-report/report.md', 'structured']]);
		assert.deepEqual(new Set(report.findings.map(finding => finding.file.split('/')[3])), new Set(pods.map(pod => pod.name)), 'every pod\'s denial is found');
		assert.equal(report.verdict.code, 'pods-forbidden');

		const text = await runPlugin(['scan', tarball]);
		assert.equal(text.code, 1);
		assert.match(text.stdout, new RegExp(`^Scanned ${perFile.size} log files, .* in .*multus-report\\.tar\\.gz \\(a gzip'd tar archive\\); skipped 2 entries \\(1 Markdown, 1 JSON\\)\\.`));
		for (const pod of pods) assert.match(text.stdout, new RegExp(`multus-report/logs/${namespace}/${pod.name}/kube-multus\\.log:\\d+ +.*pods is forbidden`), `an example from ${pod.name}`);
	});

	test('a tarball of the pods\' whole logs (every container), as someone would pack them by hand: each file by its path', async () => {
		const root = path.join(dir, 'by-hand', 'logs');
		const perFile = new Map<string, number>();
		for (const pod of pods) {
			mkdirSync(path.join(root, namespace, pod.name), {recursive: true});
			for (const container of pod.containers) {
				const text = podLog(namespace, pod.name, container) ?? '';
				writeFileSync(path.join(root, namespace, pod.name, `${container}.log`), text);
				perFile.set(`logs/${namespace}/${pod.name}/${container}.log`, deniedLines(text));
			}
		}
		const tarball = path.join(dir, 'by-hand.tgz');
		execFileSync('tar', ['-czf', tarball, '-C', path.join(dir, 'by-hand'), 'logs']);
		const result = await runPlugin(['scan', tarball, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.deepEqual(new Map(report.summary.files.map(file => [file.file, file.podsForbidden])), perFile);
		assert.deepEqual(report.summary.skipped, []);
	});

	test('a real kubectl cluster-info dump --output-directory tree, and the same tree tarred: each pod\'s logs.txt, the object lists skipped', async () => {
		const dump = path.join(dir, 'dump');
		kubectl(['cluster-info', 'dump', '--output-directory', dump]);
		const logFiles = readdirSync(path.join(dump, namespace), {withFileTypes: true}).filter(entry => entry.isDirectory()).map(entry => `${namespace}/${entry.name}/logs.txt`);
		assert.ok(pods.every(pod => logFiles.includes(`${namespace}/${pod.name}/logs.txt`)), `the dump holds every Multus pod's logs: ${logFiles.join(', ')}`);
		const expected = new Map(logFiles.map(file => [file, deniedLines(execFileSync('cat', [path.join(dump, file)], {encoding: 'utf8'}))]));

		const result = await runPlugin(['scan', dump, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(report.summary.format, 'directory');
		assert.deepEqual(new Map(report.summary.files.map(file => [file.file, file.podsForbidden])), expected);
		assert.ok([...expected.values()].every(count => count > 0), 'each daemon\'s dump shows its denial');
		const skipped = report.summary.skipped.map(entry => entry.file);
		for (const list of ['nodes.json', `${namespace}/pods.json`, `${namespace}/daemonsets.json`, `${namespace}/events.json`]) assert.ok(skipped.includes(list), `${list} skipped`);
		assert.ok(report.summary.skipped.every(entry => entry.reason === 'structured'), JSON.stringify(report.summary.skipped));

		const tarball = path.join(dir, 'dump.tgz');
		execFileSync('tar', ['--sort=name', '-czf', tarball, '-C', dump, '.']); // name order, as the directory is walked
		const fromTar = JSON.parse((await runPlugin(['scan', tarball, '-o', 'json'])).stdout) as ScanReport;
		assert.deepEqual(new Map(fromTar.summary.files.map(file => [file.file, file.podsForbidden])), expected);
		assert.deepEqual(fromTar.findings, report.findings);
	});

	test('the same dump of a healthy-thick cluster: every pod\'s log read, no denial, exit 0', async () => {
		applyScenario('healthy-thick');
		const healthy = await waitFor('the healthy daemons ready', () => {
			const found = multusPods();
			return found.length > 0 && found.every(pod => /API readiness check done!/.test(podLog(namespace, pod.name, 'kube-multus') ?? '')) && found;
		}, 90_000);
		const dump = path.join(dir, 'healthy-dump');
		kubectl(['cluster-info', 'dump', '--output-directory', dump]);
		const result = await runPlugin(['scan', dump, '-o', 'json']);
		assert.equal(result.code, 0, result.stdout);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(report.summary.podsForbidden + report.summary.nadsForbidden, 0);
		assert.ok(healthy.every(pod => report.summary.files.some(file => file.file === `${namespace}/${pod.name}/logs.txt` && file.lines > 0)), 'every pod\'s log was read');
		assert.equal(report.verdict.problem, false);
	});
});
