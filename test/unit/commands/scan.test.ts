import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises';
import {gzipSync} from 'node:zlib';
import {Readable} from 'node:stream';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';
import {buildScanReport, excerptKey, renderScanText} from '../../../source/commands/scan.js';
import type {ScanRead, ScanReport} from '../../../source/commands/scan.js';
import {createLogFilesScanner} from '../../../source/multus/log-files.js';
import type {ScanOptions} from '../../../source/multus/logs.js';
import {tarArchive} from '../../helpers/tar.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** What scan reads from one log held in memory, named `file`. */
function readText(text: string, file = 'x.log', options: ScanOptions = {}): ScanRead {
	const scanner = createLogFilesScanner(options);
	const one = scanner.file(file);
	one.push(text);
	one.end();
	return {format: 'text', summary: scanner.end(), skipped: [], skippedFiles: 0};
}

function excerpts(read: ScanRead): Map<string, string> {
	return new Map(read.summary.findings.map(finding => [excerptKey(finding.file, finding.line), finding.excerpt]));
}

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs a command from the repo root, optionally feeding stdin, and collects its output. */
function run(command: string, args: string[], stdin?: string | NodeJS.ReadableStream): Promise<Run> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {cwd: repo, env: {...process.env, NO_COLOR: '1'}, stdio: ['pipe', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
		child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
		child.on('error', reject);
		child.on('close', code => resolve({code, stdout, stderr}));
		if (typeof stdin === 'string') child.stdin.end(stdin);
		else if (stdin) stdin.pipe(child.stdin);
		else child.stdin.end();
	});
}

function scan(args: string[], stdin?: string | NodeJS.ReadableStream): Promise<Run> {
	return run(process.execPath, ['--import', 'tsx', 'source/entry.ts', 'scan', ...args], stdin);
}

const user = 'system:serviceaccount:kube-system:multus';
const listDenied = `W1109 23:47:55.914854  514945 reflector.go:533] k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: pods is forbidden: User "${user}" cannot list resource "pods" in API group "" at the cluster scope`;
const watchUnknown = '2023-11-13T11:23:01.338378331-06:00 stderr F E1113 17:23:01.338032  777873 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: unknown (get pods)';
const unreachable = 'W1125 16:44:02.369229    4366 reflector.go:539] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?fieldSelector=spec.nodeName%3Dkubevirt1-01&limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: connect: connection timed out';
const benign = '2024-11-25T16:44:01Z [verbose] multus-daemon started';
const syncFailed = '2024-11-25T16:44:21Z [error] failed to sync pod informer cache';

let dir = '';
let buggy = '';
let healthy = '';

before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'kubectl-multus-scan-'));
	buggy = join(dir, 'buggy.log');
	healthy = join(dir, 'healthy.log');
	await writeFile(buggy, [benign, listDenied, unreachable, benign, watchUnknown, syncFailed].join('\n') + '\n');
	await writeFile(healthy, [benign, unreachable, benign, syncFailed].join('\r\n'));
});

after(async () => {
	await rm(dir, {recursive: true, force: true});
});

describe('kubectl multus scan (the real CLI)', {concurrency: true}, () => {
	test('-o json: findings first with exactly file, line, kind, verb, user and the finding code; exit 1', async () => {
		const result = await scan([buggy, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.deepEqual(Object.keys(report), ['findings', 'lookalikes', 'summary', 'verdict']);
		assert.deepEqual(report.findings, [
			{file: buggy, line: 2, kind: 'pods-forbidden', verb: 'list', user, code: 'MULTUS-LOG-001'},
			{file: buggy, line: 5, kind: 'pods-forbidden', verb: 'watch', user: null, code: 'MULTUS-LOG-001'},
		]);
		assert.deepEqual(report.lookalikes, [
			{file: buggy, line: 3, kind: 'apiserver-unreachable', reason: 'connection timed out', informer: 'pod', code: 'MULTUS-LOG-101'},
			{file: buggy, line: 6, kind: 'informer-sync-failed', informer: 'pod', code: 'MULTUS-LOG-105'},
		]);
		assert.equal(report.summary.format, 'text');
		assert.deepEqual(report.summary.files, [{file: buggy, compressed: false, lines: 6, bytes: report.summary.bytes, podsForbidden: 2, nadsForbidden: 0, lookalikes: 2}]);
		assert.deepEqual([report.summary.skipped, report.summary.skippedFiles], [[], 0]);
		assert.equal(report.summary.source, buggy);
		assert.equal(report.summary.lines, 6);
		assert.equal(report.summary.podsForbidden, 2);
		assert.deepEqual(report.summary.byVerb, {list: 1, watch: 1});
		assert.deepEqual(report.summary.byUser, [
			{kind: 'pods-forbidden', user, verb: 'list', count: 1, first: {file: buggy, line: 2, timestamp: '1109 23:47:55.914854'}, last: {file: buggy, line: 2, timestamp: '1109 23:47:55.914854'}},
			{kind: 'pods-forbidden', user: null, verb: 'watch', count: 1, first: {file: buggy, line: 5, timestamp: '2023-11-13T11:23:01.338378331-06:00'}, last: {file: buggy, line: 5, timestamp: '2023-11-13T11:23:01.338378331-06:00'}},
		]);
		assert.deepEqual(report.summary.first, {file: buggy, line: 2, timestamp: '1109 23:47:55.914854'});
		assert.deepEqual(report.summary.last, {file: buggy, line: 5, timestamp: '2023-11-13T11:23:01.338378331-06:00'});
		assert.equal(report.summary.truncated, false);
		assert.equal(report.verdict.problem, true);
		assert.equal(report.verdict.code, 'pods-forbidden');
		assert.deepEqual(report.verdict.findings, ['MULTUS-LOG-001']);
		assert.match(report.verdict.fix ?? '', /kubectl multus doctor/);
	});

	test('no forbidden lines: exit 0, look-alikes still reported (CRLF, no trailing newline)', async () => {
		const result = await scan([healthy, '-o', 'json']);
		assert.equal(result.code, 0, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.deepEqual(report.findings, []);
		assert.deepEqual(report.lookalikes.map(entry => [entry.line, entry['kind']]), [[2, 'apiserver-unreachable'], [4, 'informer-sync-failed']]);
		assert.equal(report.summary.lines, 4);
		assert.equal(report.verdict.code, 'lookalikes-only');
		assert.deepEqual(report.verdict.findings, ['MULTUS-LOG-101', 'MULTUS-LOG-105']);
		assert.equal(report.verdict.problem, false);
	});

	test('-o yaml prints the same object', async () => {
		const [yaml, json] = await Promise.all([scan([buggy, '-o', 'yaml']), scan([buggy, '-o', 'json'])]);
		assert.equal(yaml.code, 1);
		assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout));
		assert.doesNotMatch(yaml.stdout, /[&*]a\d/, 'no YAML anchors or aliases');
	});

	test('text: counts, user, examples, look-alikes with their codes, verdict and the fix', async () => {
		const result = await scan([buggy]);
		assert.equal(result.code, 1);
		assert.match(result.stdout, /Scanned 6 lines/);
		assert.match(result.stdout, /forbidden to list\/watch pods at cluster scope on 2 lines \[MULTUS-LOG-001\]:\n/);
		assert.match(result.stdout, new RegExp(`list +1 line +${user}`));
		assert.match(result.stdout, /line 2 +.*pods is forbidden/);
		assert.match(result.stdout, /Not the RBAC bug:\n {2}apiserver unreachable: connection timed out \(pod informer\) on line 3 {2}\[MULTUS-LOG-101\]\n/);
		assert.match(result.stdout, /informer cache never synced .* on line 6 {2}\[MULTUS-LOG-105\]\n/);
		assert.match(result.stdout, /Verdict: /);
		assert.match(result.stdout, /Fix: run `kubectl multus doctor`/);
		assert.doesNotMatch(result.stdout, /\u001b\[/, 'no colour codes');
	});

	test('text: escape sequences in user names, log lines and look-alike fields are shown escaped; JSON stays exact (issue 12, item 3)', async () => {
		const osc = '\u001B]2;pwned\u0007';
		const hostileUser = `system:serviceaccount:kube-system:multus${osc}\u202E`;
		const log = [
			`E0101 00:00:00.000000 1 reflector.go:147] k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: pods is forbidden: User "${hostileUser}" cannot list resource "pods" in API group "" at the cluster scope`,
			`pods "web\u001B[2J" is forbidden: User "${hostileUser}" cannot get resource "pods" in API group "" in the namespace "default\u001B[H"`,
			`configmaps is forbidden: User "u${osc}" cannot list resource "configmaps" in API group "" at the cluster scope`,
			'W1125 16:44:02.369229 1 reflector.go:539] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods": dial tcp 10.96.0.1:443: connect: \u001B]0;title\u0007connection refused',
		].join('\n');
		const text = await scan(['-'], log);
		assert.equal(text.code, 1, text.stderr);
		assert.doesNotMatch(text.stdout, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E]/u);
		assert.match(text.stdout, /list +1 line +system:serviceaccount:kube-system:multus\\x1b\]2;pwned\\x07\\u202e/);
		assert.match(text.stdout, /for system:serviceaccount:kube-system:multus\\x1b\]2;pwned\\x07\\u202e/);
		assert.match(text.stdout, /forbidden at cluster scope for u\\x1b\]2;pwned\\x07/);
		// The excerpt: the classifier blanks control characters in log lines; the bidi override is shown here.
		assert.match(text.stdout, /User "system:serviceaccount:kube-system:multus \]2;pwned \\u202e" cannot list/);
		assert.match(text.stdout, /apiserver unreachable: connection refused \(pod informer\) on line 4/);
		const json = await scan(['-', '-o', 'json'], log);
		assert.equal(JSON.parse(json.stdout).findings[0].user, hostileUser, 'JSON keeps the exact text');
	});

	test('- reads stdin', async () => {
		const result = await scan(['-', '-o', 'json'], [benign, listDenied].join('\n'));
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.deepEqual(report.findings, [{file: '-', line: 2, kind: 'pods-forbidden', verb: 'list', user, code: 'MULTUS-LOG-001'}]);
		assert.equal(report.summary.source, '-');
	});

	test('empty input says nothing was read, with its own exit code 6 (not clean, not 0): stdin, a file, JSON', async () => {
		const fromStdin = await scan(['-'], '');
		assert.deepEqual(fromStdin, {
			code: 6,
			stdout: 'Nothing was read from stdin: the input is empty, so it says nothing about Multus.  [MULTUS-LOG-005]\nFix: check the command that feeds it (kubectl logs prints its own error on stderr; -c CONTAINER, --previous)\n',
			stderr: '',
		});
		const empty = join(dir, 'empty.log');
		await writeFile(empty, '');
		const fromFile = await scan([empty, '-o', 'json']);
		assert.equal(fromFile.code, 6, fromFile.stderr);
		const report = JSON.parse(fromFile.stdout) as ScanReport;
		assert.deepEqual(report.verdict, {problem: false, code: 'nothing-read', message: `Nothing was read from ${empty}: the input is empty, so it says nothing about Multus.`, fix: 'give the log file itself (it is empty), or - to read stdin', findings: ['MULTUS-LOG-005']});
		assert.equal(report.summary.bytes, 0);
		// One byte is something read: a lone newline is a clean (if short) log.
		assert.equal((await scan(['-'], '\n')).code, 0);
	});

	test('a missing file is a usage error: exit 2 with the path and reason', async () => {
		const missing = join(dir, 'nope.log');
		const result = await scan([missing]);
		assert.equal(result.code, 2);
		assert.equal(result.stdout, '');
		assert.match(result.stderr, new RegExp(`cannot read "${missing.replaceAll('\\', '\\\\')}": no such file or directory`));
		assert.match(result.stderr, /fix: /);
	});

	test('on generated logs, the counts match what the generator wrote', async () => {
		const generator = spawn(process.execPath, ['scripts/gen-log.mjs', '--mb', '3', '--rate', '0.004', '--lookalikes', '0.002', '--seed', '7', '--prefix', 'mixed', '--crlf'], {cwd: repo, stdio: ['ignore', 'pipe', 'pipe']});
		let stats = '';
		generator.stderr.setEncoding('utf8').on('data', (text: string) => (stats += text));
		const result = await scan(['-', '-o', 'json'], generator.stdout);
		const truth = JSON.parse(stats) as {bytes: number; lines: number; podsForbidden: number; nadsForbidden: number; lookalikes: number; forbiddenByVerb: {list: number; watch: number}};
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(result.code, 1);
		assert.equal(report.summary.bytes, truth.bytes);
		assert.equal(report.summary.lines, truth.lines);
		assert.equal(report.summary.podsForbidden, truth.podsForbidden);
		assert.equal(report.summary.nadsForbidden, truth.nadsForbidden);
		assert.ok(truth.nadsForbidden > 0);
		assert.equal(report.summary.lookalikes, truth.lookalikes);
		assert.deepEqual(report.summary.byVerb, truth.forbiddenByVerb);
	});
});

describe('kubectl multus scan on bundles: .gz, tar, tar.gz, directories (the real CLI)', {concurrency: true}, () => {
	const nadDenied = `W1201 08:49:55.078260 4639 reflector.go:569] x/factory.go:117: failed to list *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User "${user}" cannot list resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" at the cluster scope`;
	// The layout of `kubectl multus report --bundle`: a directory with report.md, report.json and logs/<ns>/<pod>/<container>.log.
	const bundleEntries = [
		{path: 'multus-report/', type: '5'},
		{path: 'multus-report/report.md', content: `# Multus report\n\n    ${listDenied}\n`},
		{path: 'multus-report/report.json', content: JSON.stringify({excerpt: listDenied})},
		{path: 'multus-report/logs/kube-system/kube-multus-ds-a/kube-multus.log', content: [benign, listDenied, benign].join('\n') + '\n'},
		{path: 'multus-report/logs/kube-system/kube-multus-ds-b/kube-multus.log', content: [benign, unreachable, nadDenied].join('\n') + '\n'},
		{path: 'multus-report/logs/kube-system/kube-multus-ds-c/kube-multus.log', content: `${benign}\n`},
		{path: 'multus-report/logs/kube-system/kube-multus-ds-c/previous.log', type: '2', linkTarget: '/etc/shadow'},
	];

	test('a gzip\'d pod log: decompressed, findings name the file; format gzip', async () => {
		const file = join(dir, 'kube-multus-ds-x.log.gz');
		await writeFile(file, gzipSync([benign, listDenied, watchUnknown].join('\n')));
		const result = await scan([file, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(report.summary.format, 'gzip');
		assert.deepEqual(report.findings.map(finding => [finding.file, finding.line]), [[file, 2], [file, 3]]);
		assert.equal(report.summary.files[0]?.compressed, true);
		const text = await scan([file]);
		assert.match(text.stdout, /Scanned 3 lines \(.* once decompressed\) of .*kube-multus-ds-x\.log\.gz\./);
		assert.match(text.stdout, /line 2 +.*pods is forbidden/);
	});

	test('a report --bundle tarball (.tar.gz, and named anything): every log in it, FILE:LINE, the report files themselves skipped', async () => {
		const tgz = join(dir, 'bundle.tar.gz');
		await writeFile(tgz, gzipSync(tarArchive(bundleEntries)));
		const renamed = join(dir, 'bundle.download');
		await writeFile(renamed, gzipSync(tarArchive(bundleEntries)));
		for (const source of [tgz, renamed]) {
			const result = await scan([source, '-o', 'json']);
			assert.equal(result.code, 1, result.stderr);
			const report = JSON.parse(result.stdout) as ScanReport;
			assert.equal(report.summary.format, 'tar.gz');
			assert.deepEqual(report.findings, [
				{file: 'multus-report/logs/kube-system/kube-multus-ds-a/kube-multus.log', line: 2, kind: 'pods-forbidden', verb: 'list', user, code: 'MULTUS-LOG-001'},
				{file: 'multus-report/logs/kube-system/kube-multus-ds-b/kube-multus.log', line: 3, kind: 'nads-forbidden', verb: 'list', user, code: 'MULTUS-LOG-002'},
			]);
			assert.deepEqual(report.lookalikes, [{file: 'multus-report/logs/kube-system/kube-multus-ds-b/kube-multus.log', line: 2, kind: 'apiserver-unreachable', reason: 'connection timed out', informer: 'pod', code: 'MULTUS-LOG-101'}]);
			assert.deepEqual(report.verdict.findings, ['MULTUS-LOG-001', 'MULTUS-LOG-002']);
			assert.deepEqual(report.summary.files.map(file => [file.file, file.lines, file.podsForbidden + file.nadsForbidden]), [
				['multus-report/logs/kube-system/kube-multus-ds-a/kube-multus.log', 3, 1],
				['multus-report/logs/kube-system/kube-multus-ds-b/kube-multus.log', 3, 1],
				['multus-report/logs/kube-system/kube-multus-ds-c/kube-multus.log', 1, 0],
			]);
			assert.deepEqual(report.summary.skipped, [
				{file: 'multus-report/report.md', reason: 'structured', detail: 'Markdown'},
				{file: 'multus-report/report.json', reason: 'structured', detail: 'JSON'},
				{file: 'multus-report/logs/kube-system/kube-multus-ds-c/previous.log', reason: 'symlink', detail: 'to /etc/shadow'},
			]);
			assert.equal(report.summary.lines, 7);
			assert.equal(report.summary.logFiles, 3);
			assert.equal(report.verdict.code, 'pods-forbidden');
			assert.match(report.verdict.message, /\(1 line in 1 file\); NetworkAttachmentDefinition informer is denied list .*\(1 line in 1 file\)/);
		}
		const text = await scan([tgz]);
		assert.equal(text.code, 1);
		assert.match(text.stdout, /^Scanned 3 log files, 7 lines \(.*\), in .*bundle\.tar\.gz \(a gzip'd tar archive\); skipped 3 entries \(1 Markdown, 1 JSON, 1 symbolic link, not followed\)\./);
		assert.match(text.stdout, /multus-report\/logs\/kube-system\/kube-multus-ds-a\/kube-multus\.log:2 +.*pods is forbidden/);
		assert.match(text.stdout, /In 2 files:\n {2}multus-report\/logs\/kube-system\/kube-multus-ds-a\/kube-multus\.log {2}1 line of 3 lines/);
		assert.match(text.stdout, /apiserver unreachable: connection timed out \(pod informer\) on multus-report\/logs\/kube-system\/kube-multus-ds-b\/kube-multus\.log:2 {2}\[MULTUS-LOG-101\]/);
		assert.match(text.stdout, /Not read:\n {2}multus-report\/logs\/kube-system\/kube-multus-ds-c\/previous\.log {2}symbolic link, not followed \(to \/etc\/shadow\)/);
	});

	test('a bundle on stdin is read as a bundle', async () => {
		const tgz = join(dir, 'stdin-bundle.tgz');
		await writeFile(tgz, gzipSync(tarArchive(bundleEntries)));
		const {createReadStream} = await import('node:fs');
		const result = await scan(['-', '-o', 'json'], createReadStream(tgz));
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(report.summary.format, 'tar.gz');
		assert.equal(report.summary.source, '-');
		assert.equal(report.findings.length, 2);
	});

	test('a kubectl cluster-info dump --output-directory tree: each <namespace>/<pod>/logs.txt, the object lists skipped', async () => {
		const tree = join(dir, 'dump');
		await mkdir(join(tree, 'kube-system/kube-multus-ds-a'), {recursive: true});
		await mkdir(join(tree, 'default'), {recursive: true});
		await writeFile(join(tree, 'nodes.json'), '{"kind":"NodeList","items":[]}');
		await writeFile(join(tree, 'kube-system/pods.json'), JSON.stringify({kind: 'PodList', note: listDenied}));
		await writeFile(join(tree, 'default/events.json'), '{"kind":"EventList","items":[]}');
		await writeFile(join(tree, 'kube-system/kube-multus-ds-a/logs.txt'), [
			'==== START logs for container kube-multus of pod kube-system/kube-multus-ds-a ====',
			benign,
			listDenied,
			'==== END logs for container kube-multus of pod kube-system/kube-multus-ds-a ====',
		].join('\n') + '\n');
		const result = await scan([tree, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.equal(report.summary.format, 'directory');
		assert.deepEqual(report.findings, [{file: 'kube-system/kube-multus-ds-a/logs.txt', line: 3, kind: 'pods-forbidden', verb: 'list', user, code: 'MULTUS-LOG-001'}]);
		assert.deepEqual(report.summary.skipped.map(entry => entry.file), ['default/events.json', 'kube-system/pods.json', 'nodes.json']);
	});

	test('a bundle with no log file in it: nothing read, exit 6, saying what was skipped', async () => {
		const tar = join(dir, 'only-json.tar');
		await writeFile(tar, tarArchive([{path: 'a/pods.json', content: '{}'}, {path: 'a/b.json', content: '{}'}]));
		const result = await scan([tar]);
		assert.equal(result.code, 6, result.stderr);
		assert.match(result.stdout, /^Nothing was read from .*only-json\.tar: it holds no log file \(2 entries skipped: 2 JSON\), so it says nothing about Multus\. {2}\[MULTUS-LOG-005\]\nFix: give the bundle or directory/);
	});

	test('a limit reached: exit 8, the limit and the flag named, with the command that raises it; the flag raises it', async () => {
		const tar = join(dir, 'many.tar');
		await writeFile(tar, tarArchive(Array.from({length: 12}, (_, i) => ({path: `logs/${i}.log`, content: `${benign}\n`}))));
		const result = await scan([tar, '--max-entries', '10']);
		assert.equal(result.code, 8, result.stderr);
		assert.equal(result.stdout, '');
		assert.match(result.stderr, /^error: scan stopped: .*many\.tar holds more than 10 entries \(at "logs\/10\.log"\), the limit of --max-entries 10\n {2}fix: if it is what you expect, raise the limit: kubectl multus scan .*many\.tar --max-entries 100\n$/);
		assert.equal((await scan([tar, '--max-entries', '12'])).code, 0);
		const deep = join(dir, 'deep.tar');
		await writeFile(deep, tarArchive([{path: `${'d/'.repeat(5)}x.log`, content: `${benign}\n`}]));
		const tooDeep = await scan([deep, '--max-depth', '3']);
		assert.equal(tooDeep.code, 8);
		assert.match(tooDeep.stderr, /holds a path more than 3 levels deep \(at "d\/d\/d\/d\/d\/x\.log"\), the limit of --max-depth 3/);
		const gz = join(dir, 'big.log.gz');
		await writeFile(gz, gzipSync(`${benign}\n`.repeat(1000)));
		const tooBig = await scan([gz, '--max-bytes', '1000']);
		assert.equal(tooBig.code, 8);
		assert.match(tooBig.stderr, /big\.log\.gz decompresses to more than 1000 B, the limit of --max-bytes 1000\n {2}fix: .* --max-bytes 4000/);
	});

	test('a truncated or damaged bundle cannot be read: exit 2, saying which and what to do', async () => {
		const whole = gzipSync(tarArchive(bundleEntries));
		const cut = join(dir, 'cut.tgz');
		await writeFile(cut, whole.subarray(0, whole.length - 40));
		const result = await scan([cut]);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /cannot read ".*cut\.tgz": the gzip data of ".*cut\.tgz" ends early\n {2}fix: the file was cut short/);
	});

	test('a zip, an xz file or UTF-16 without a byte-order mark is not called clean: exit 2 with the command that makes it readable; UTF-16 with one is read', async () => {
		const line = 'E1109 23:47:55.914854 1 reflector.go:147] failed to list *v1.Pod: pods is forbidden: User "system:serviceaccount:kube-system:multus" cannot list resource "pods" in API group "" at the cluster scope\n';
		const zip = join(dir, 'logs.zip');
		await writeFile(zip, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from(line)]));
		const zipped = await scan([zip]);
		assert.equal(zipped.code, 2);
		assert.match(zipped.stderr, /cannot scan ".*logs\.zip": it is a zip archive, which scan does not open\n {2}fix: .*unzip -d multus-logs .*logs\.zip && kubectl multus scan multus-logs/);
		const xz = await scan(['-'], Readable.from([Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from(line)])]));
		assert.equal(xz.code, 2, xz.stderr);
		assert.match(xz.stderr, /cannot scan "stdin": it is xz data.*\n {2}fix: .*\| xz -dc \| kubectl multus scan -/);
		const bomless = join(dir, 'u16-bomless.log');
		await writeFile(bomless, Buffer.from(line, 'utf16le'));
		const refused = await scan([bomless]);
		assert.equal(refused.code, 2);
		assert.match(refused.stderr, /not a text log: a NUL byte at offset 1.*\n {2}fix: .*iconv -f UTF-16LE -t UTF-8 .*u16-bomless\.log \| kubectl multus scan -/);
		const withBom = join(dir, 'u16.log');
		await writeFile(withBom, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(line, 'utf16le')]));
		const read = await scan([withBom]);
		assert.equal(read.code, 1, read.stderr);
		assert.match(read.stdout, /forbidden to list\/watch pods at cluster scope on 1 line/);
	});

	test('names with escape sequences are shown escaped in text, exact in JSON; a directory\'s links are not followed', async () => {
		const tree = join(dir, 'odd');
		await mkdir(tree, {recursive: true});
		const name = 'pod\u001b]2;pwned\u0007\u202e.log';
		await writeFile(join(tree, name), `${listDenied}\n`);
		await symlink('/etc/passwd', join(tree, 'passwd.log'));
		const text = await scan([tree]);
		assert.equal(text.code, 1);
		assert.doesNotMatch(text.stdout, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E]/u);
		assert.match(text.stdout, /pod\\x1b\]2;pwned\\x07\\u202e\.log:1/);
		assert.match(text.stdout, /passwd\.log {2}symbolic link, not followed \(to \/etc\/passwd\)/);
		const json = JSON.parse((await scan([tree, '-o', 'json'])).stdout) as ScanReport;
		assert.equal(json.findings[0]?.file, name);
	});
});

describe('scan report and text (pure)', () => {
	test('clean log: verdict clean, no fix, exit-worthy findings empty', () => {
		const report = buildScanReport(readText(`${benign}\n${benign}\n`), 'x.log', 1000);
		assert.deepEqual(report.findings, []);
		assert.deepEqual(report.verdict, {problem: false, code: 'clean', message: 'No sign of the Multus informer RBAC problem in 2 lines.', fix: null, findings: []});
		const text = renderScanText(report);
		assert.match(text, /No line says Multus is forbidden/);
		assert.doesNotMatch(text, /Not the RBAC bug/);
	});

	test('truncated findings are reported, and text lists at most 20 examples', () => {
		const lines = Array.from({length: 50}, () => listDenied);
		const read = readText(lines.join('\n'), '-', {maxFindings: 30});
		const report = buildScanReport(read, '-', 30);
		assert.equal(report.findings.length, 30);
		assert.ok(report.findings.every(entry => entry.code === 'MULTUS-LOG-001'));
		assert.equal(report.summary.podsForbidden, 50);
		assert.equal(report.summary.truncated, true);
		assert.equal(report.summary.maxFindings, 30);
		const text = renderScanText(report, excerpts(read));
		assert.equal(text.match(/^ {2}line +\d+ /gm)?.length, 20);
		assert.match(text, /… and 30 more lines/);
		assert.match(text, /of stdin/);
	});

	test('a bundle\'s examples show the first lines of each file in turn, so that every pod with a denial is seen', () => {
		const scanner = createLogFilesScanner();
		for (const pod of ['a', 'b', 'c']) {
			const one = scanner.file(`logs/kube-system/${pod}/kube-multus.log`);
			one.push(`${listDenied}\n`.repeat(15));
			one.end();
		}
		const read: ScanRead = {format: 'tar.gz', summary: scanner.end(), skipped: [], skippedFiles: 0};
		const text = renderScanText(buildScanReport(read, 'b.tgz', 1000), excerpts(read));
		const shown = [...text.matchAll(/^ {2}logs\/kube-system\/(\w)\/kube-multus\.log:(\d+) +…?.*pods is forbidden/gm)].map(match => `${match[1]}:${match[2]}`);
		assert.deepEqual(shown, ['a', 'b', 'c'].flatMap(pod => [1, 2, 3, 4, 5, 6].map(line => `${pod}:${line}`)));
		assert.match(text, /… and 27 more lines/);
		assert.match(text, /list +45 lines +system:serviceaccount:kube-system:multus +logs\/kube-system\/a\/kube-multus\.log:1 to logs\/kube-system\/c\/kube-multus\.log:15/);
	});

	test('other look-alikes are described in the user\'s words', () => {
		const log = [
			`pods "web-1" is forbidden: User "${user}" cannot get resource "pods" in API group "" in the namespace "default"`,
			`network-attachment-definitions.k8s.cni.cncf.io "net1" is forbidden: User "${user}" cannot get resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" in the namespace "default"`,
			'E0101 00:00:00.000000 1 reflector.go:147] x: Failed to watch *v1.Pod: failed to list *v1.Pod: Unauthorized',
		].join('\n');
		const report = buildScanReport(readText(log), 'x.log', 1000);
		const text = renderScanText(report);
		assert.match(text, /get on one pod forbidden in a namespace for system:serviceaccount:kube-system:multus/);
		assert.match(text, /get network-attachment-definitions\.k8s\.cni\.cncf\.io forbidden in namespace default/);
		assert.match(text, /Unauthorized: credentials rejected \(pod informer\) on line 3 {2}\[MULTUS-LOG-104\]/);
		assert.match(text, /get on one pod forbidden .* on line 1 {2}\[MULTUS-LOG-102\]/);
		assert.match(text, /get network-attachment-definitions\.k8s\.cni\.cncf\.io forbidden .* on line 2 {2}\[MULTUS-LOG-103\]/);
		assert.equal(report.verdict.code, 'lookalikes-only');
	});

	test('the NAD informer denied: its own family (nads-forbidden), a problem, exit-worthy, with its fix', () => {
		const log = [
			`W1201 08:49:55.078260 4639 reflector.go:569] x/factory.go:117: failed to list *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User "${user}" cannot list resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" at the cluster scope`,
			'2026-12-01T08:50:15Z [error] failed to sync net-attach-def informer cache',
		].join('\n');
		const read = readText(log);
		const report = buildScanReport(read, 'x.log', 1000);
		assert.deepEqual(report.findings, [{file: 'x.log', line: 1, kind: 'nads-forbidden', verb: 'list', user, code: 'MULTUS-LOG-002'}]);
		assert.equal(report.summary.nadsForbidden, 1);
		assert.equal(report.summary.podsForbidden, 0);
		assert.deepEqual(report.summary.nadsByVerb, {list: 1, watch: 0});
		assert.equal(report.verdict.code, 'nads-forbidden');
		assert.deepEqual(report.verdict.findings, ['MULTUS-LOG-002']);
		assert.equal(report.verdict.problem, true);
		assert.match(report.verdict.fix ?? '', /list and watch on network-attachment-definitions/);
		const text = renderScanText(report, excerpts(read));
		assert.match(text, /forbidden to list\/watch network-attachment-definitions at cluster scope on 1 line \[MULTUS-LOG-002\]:/);
	});
});
