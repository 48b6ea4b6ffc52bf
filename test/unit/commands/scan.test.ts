import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';
import {buildScanReport, renderScanText} from '../../../source/commands/scan.js';
import type {ScanReport} from '../../../source/commands/scan.js';
import {scanText} from '../../../source/multus/logs.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

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
	test('-o json: findings first with exactly line, kind, verb, user and the finding code; exit 1', async () => {
		const result = await scan([buggy, '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout) as ScanReport;
		assert.deepEqual(Object.keys(report), ['findings', 'lookalikes', 'summary', 'verdict']);
		assert.deepEqual(report.findings, [
			{line: 2, kind: 'pods-forbidden', verb: 'list', user, code: 'MULTUS-LOG-001'},
			{line: 5, kind: 'pods-forbidden', verb: 'watch', user: null, code: 'MULTUS-LOG-001'},
		]);
		assert.deepEqual(report.lookalikes, [
			{line: 3, kind: 'apiserver-unreachable', reason: 'connection timed out', informer: 'pod', code: 'MULTUS-LOG-101'},
			{line: 6, kind: 'informer-sync-failed', informer: 'pod', code: 'MULTUS-LOG-105'},
		]);
		assert.equal(report.summary.source, buggy);
		assert.equal(report.summary.lines, 6);
		assert.equal(report.summary.podsForbidden, 2);
		assert.deepEqual(report.summary.byVerb, {list: 1, watch: 1});
		assert.deepEqual(report.summary.byUser, [
			{kind: 'pods-forbidden', user, verb: 'list', count: 1, first: {line: 2, timestamp: '1109 23:47:55.914854'}, last: {line: 2, timestamp: '1109 23:47:55.914854'}},
			{kind: 'pods-forbidden', user: null, verb: 'watch', count: 1, first: {line: 5, timestamp: '2023-11-13T11:23:01.338378331-06:00'}, last: {line: 5, timestamp: '2023-11-13T11:23:01.338378331-06:00'}},
		]);
		assert.deepEqual(report.summary.first, {line: 2, timestamp: '1109 23:47:55.914854'});
		assert.deepEqual(report.summary.last, {line: 5, timestamp: '2023-11-13T11:23:01.338378331-06:00'});
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
		assert.deepEqual(report.findings, [{line: 2, kind: 'pods-forbidden', verb: 'list', user, code: 'MULTUS-LOG-001'}]);
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

	test('a directory is a usage error: exit 2', async () => {
		const result = await scan([dir]);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /is a directory/);
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

describe('scan report and text (pure)', () => {
	test('clean log: verdict clean, no fix, exit-worthy findings empty', () => {
		const report = buildScanReport(scanText(`${benign}\n${benign}\n`), 'x.log', 1000);
		assert.deepEqual(report.findings, []);
		assert.deepEqual(report.verdict, {problem: false, code: 'clean', message: 'No sign of the Multus informer RBAC problem in 2 lines.', fix: null, findings: []});
		const text = renderScanText(report);
		assert.match(text, /No line says Multus is forbidden/);
		assert.doesNotMatch(text, /Not the RBAC bug/);
	});

	test('truncated findings are reported, and text lists at most 20 examples', () => {
		const lines = Array.from({length: 50}, () => listDenied);
		const summary = scanText(lines.join('\n'), {maxFindings: 30});
		const report = buildScanReport(summary, '-', 30);
		assert.equal(report.findings.length, 30);
		assert.ok(report.findings.every(entry => entry.code === 'MULTUS-LOG-001'));
		assert.equal(report.summary.podsForbidden, 50);
		assert.equal(report.summary.truncated, true);
		assert.equal(report.summary.maxFindings, 30);
		const text = renderScanText(report, new Map(summary.findings.map(finding => [finding.line, finding.excerpt])));
		assert.equal(text.match(/^ {2}line +\d+ /gm)?.length, 20);
		assert.match(text, /… and 30 more lines/);
		assert.match(text, /of stdin/);
	});

	test('other look-alikes are described in the user\'s words', () => {
		const log = [
			`pods "web-1" is forbidden: User "${user}" cannot get resource "pods" in API group "" in the namespace "default"`,
			`network-attachment-definitions.k8s.cni.cncf.io "net1" is forbidden: User "${user}" cannot get resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" in the namespace "default"`,
			'E0101 00:00:00.000000 1 reflector.go:147] x: Failed to watch *v1.Pod: failed to list *v1.Pod: Unauthorized',
		].join('\n');
		const report = buildScanReport(scanText(log), 'x.log', 1000);
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
		const summary = scanText(log);
		const report = buildScanReport(summary, 'x.log', 1000);
		assert.deepEqual(report.findings, [{line: 1, kind: 'nads-forbidden', verb: 'list', user, code: 'MULTUS-LOG-002'}]);
		assert.equal(report.summary.nadsForbidden, 1);
		assert.equal(report.summary.podsForbidden, 0);
		assert.deepEqual(report.summary.nadsByVerb, {list: 1, watch: 0});
		assert.equal(report.verdict.code, 'nads-forbidden');
		assert.deepEqual(report.verdict.findings, ['MULTUS-LOG-002']);
		assert.equal(report.verdict.problem, true);
		assert.match(report.verdict.fix ?? '', /list and watch on network-attachment-definitions/);
		const text = renderScanText(report, new Map(summary.findings.map(finding => [finding.line, finding.excerpt])));
		assert.match(text, /forbidden to list\/watch network-attachment-definitions at cluster scope on 1 line \[MULTUS-LOG-002\]:/);
	});
});
