// What `kubectl multus report` lets out, end to end on the in-memory cluster: no part of a private key however long
// its log line, no value of a flag or an annotation that names a secret, a Markdown that fits a GitHub issue on a
// broken cluster with many pods (and says it was shortened), and a bundle only its owner can read.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, test} from 'node:test';
import {reportOutputs, runReport} from '../../../source/commands/report.js';
import type {ReportOptions} from '../../../source/options.js';
import {reportOptions as options} from '../../helpers/report-fixture.js';
import {collectReport} from '../../../source/report/collect.js';
import {logExcerpt, shownArgs} from '../../../source/report/document.js';
import {excerptOf} from '../../../source/multus/logs.js';
import {namesSecret} from '../../../source/report/redact.js';
import {brokenThick, forbiddenLine} from '../../helpers/fake-multus.js';
import type {FakeCluster} from '../../helpers/fake-cluster.js';
import {checkMarkdown} from '../../helpers/markdown.js';


/** Every file of a report: stdout for md and json, and each file of its bundle. */
async function everyOutput(cluster: () => FakeCluster, overrides: Partial<ReportOptions> = {}): Promise<{md: string; json: string; bundle: Record<string, string>}> {
	const run = async (more: Partial<ReportOptions>) => {
		let stdout = '';
		await runReport({...options, ...overrides, ...more}, {...cluster().env(), stdout: text => (stdout += text), stderr: () => {}});
		return stdout;
	};
	const dir = mkdtempSync(path.join(tmpdir(), 'report-outputs-'));
	try {
		const file = path.join(dir, 'case.tar.gz');
		await run({bundle: file});
		execFileSync('tar', ['-xzf', file, '-C', dir]);
		const bundle: Record<string, string> = {};
		const walk = (at: string) => {
			for (const entry of readdirSync(at, {withFileTypes: true})) {
				const full = path.join(at, entry.name);
				if (entry.isDirectory()) walk(full);
				else if (full !== file) bundle[path.relative(dir, full)] = readFileSync(full, 'utf8');
			}
		};
		walk(dir);
		return {md: await run({}), json: await run({output: 'json'}), bundle};
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

/** A private key's body as a daemon would log it in JSON: 1600 base64 characters, lines as escaped \n. */
function keyBody(): string {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
	let seed = 7;
	let body = 'MIIEowIBAAKCAQEA';
	while (body.length < 1600) {
		seed = (seed * 48271) % 2147483647;
		body += alphabet[seed % 64];
	}
	return body.match(/.{1,64}/g)!.join('\\n');
}

/** Every 12 characters of the key's body (at a step of 6) that appear in `text`. */
function keyPieces(body: string, text: string): string[] {
	const pieces: string[] = [];
	for (let at = 0; at + 12 <= body.length; at += 6) if (text.includes(body.slice(at, at + 12))) pieces.push(body.slice(at, at + 12));
	return pieces;
}

describe('report: no secret gets out', () => {
	test('a private key on one long log line (longer than an excerpt line) is redacted whole in report.md, report.json and the bundle; so is one in a line the doctor quotes', async () => {
		const body = keyBody();
		const pem = `-----BEGIN RSA PRIVATE KEY-----\\n${body}\\n-----END RSA PRIVATE KEY-----\\n`;
		const cluster = () => {
			const made = brokenThick();
			const [a, b] = [...made.logs.keys()];
			// A JSON log line whose key runs far past the 600 characters an excerpt line keeps.
			made.logs.set(a!, `${made.logs.get(a!)}{"level":"info","msg":"loaded credentials","keyData":"${pem}"}\n`);
			// A forbidden line the doctor quotes (its example is cut around "forbidden: User"), the key right after it.
			made.logs.set(b!, forbiddenLine('list').replace(/\n$/, ` keyData="${pem}"\n`) + forbiddenLine('watch'));
			return made;
		};
		const {md, json, bundle} = await everyOutput(cluster);
		assert.deepEqual(keyPieces(body, md), [], 'report.md');
		assert.deepEqual(keyPieces(body, json), [], 'report.json');
		for (const [file, content] of Object.entries(bundle)) assert.deepEqual(keyPieces(body, content), [], file);
		assert.match(md, /\[REDACTED-KEY-1\]/);
		const document = JSON.parse(json);
		assert.equal(document.redacted.key, 1, 'the same key in two pods is one key');
		assert.match(document.logs.summary, /forbidden: User/, 'the doctor still quotes the forbidden line');
		assert.deepEqual(checkMarkdown(md).problems, []);
	});

	test("a host name at the edge of the line the doctor quotes is not cut in half before it is redacted (the quote is cut from the redacted line)", async () => {
		const host = 'worker-node-alpha-prod-7';
		const line = (padding: number) => forbiddenLine('list').replace('at the cluster scope', `at the cluster scope${'x'.repeat(padding)} on ${host}`);
		// The padding that puts the node's name across the end of the doctor's 200-character quote.
		const padding = Array.from({length: 120}, (_, index) => index).find(index => {
			const quote = excerptOf(line(index).trimEnd());
			return quote.includes(host.slice(0, 8)) && !quote.includes(host);
		});
		assert.ok(padding !== undefined);
		const cluster = () => {
			const made = brokenThick({nodes: [host, 'node-b']});
			for (const name of made.logs.keys()) made.logs.set(name, line(padding) + forbiddenLine('watch'));
			return made;
		};
		const {md, json} = await everyOutput(cluster);
		// The fake names each pod after its node (a real DaemonSet's pods have a random suffix): that name is the pod's.
		const pod = `kube-multus-ds-g1-old-${host}`;
		assert.ok(!md.replaceAll(pod, 'POD').includes(host.slice(0, 8)) && !json.replaceAll(pod, 'POD').includes(host.slice(0, 8)), 'no part of the node name');
		const document = JSON.parse(json);
		assert.match(document.logs.summary, /forbidden: User .*on \[REDACTED-HOSTNAME-1\]/, 'the quote, cut from the redacted line');
		assert.equal(document.findings.find((finding: {id: string}) => finding.id === 'pods-forbidden-logs').status, 'fail');
	});

	test('an address at the edge of a look-alike line the doctor quotes (an unreachable API server) is redacted whole before the quote is cut', async () => {
		const address = '10.96.123.45';
		const line = (padding: number) => `2026-11-24T22:19:49.746000000Z E1124 22:19:49.746123       1 reflector.go:166] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: failed to list *v1.Pod: Get \\"https://kubernetes.default.svc:443/api/v1/pods?limit=500\\": dial tcp${'x'.repeat(padding)} ${address}:443: i/o timeout"\n`;
		// The padding that cuts the doctor's quote inside the address, where what is left is no address any more.
		const padding = Array.from({length: 200}, (_, index) => index).find(index => {
			const quote = excerptOf(line(index).trimEnd());
			return quote.includes('10.96.1') && !/10\.96\.\d+\.\d/.test(quote);
		});
		assert.ok(padding !== undefined);
		const cluster = () => {
			const made = brokenThick();
			for (const name of made.logs.keys()) made.logs.set(name, made.logs.get(name)! + line(padding));
			return made;
		};
		const {md, json} = await everyOutput(cluster);
		assert.ok(!md.includes('10.96.1') && !json.includes('10.96.1'), 'no part of the address');
		const unreachable = JSON.parse(json).codes.find((raised: {code: string; details: string[]}) => raised.details.some(detail => detail.includes('dial tcp')));
		assert.ok(unreachable, 'the look-alike is raised, with its quote');
		assert.match(unreachable.details.join('\n'), /dial tcpx+ \[REDACTED-/, 'the quote cut from the redacted line');
	});

	test('a BEGIN with no END (a line cut short) is redacted to the end of the text', async () => {
		const {redactor} = await import('../../../source/report/redact.js');
		const r = redactor({hosts: []});
		assert.equal(r.text('key: -----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIOxAbCdEf0123456789'), 'key: [REDACTED-KEY-1]');
		assert.equal(r.log('a\n-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\nb\n'), 'a\n[REDACTED-CERTIFICATE-1]\n\n\nb\n', 'a log keeps its lines');
	});

	test('container args and annotations: a value whose flag or key names a secret is not shown, in md and json, even with --no-redact; other annotations keep their keys only', async () => {
		const cluster = () => {
			const made = brokenThick();
			const ds = made.daemonSets[0]!;
			ds.metadata!.annotations = {
				...ds.metadata!.annotations,
				'example.com/db-password': 'hunter2hunter2',
				'vault.hashicorp.com/agent-inject-token': 's.Xk2dQ9vLm3RtYb7Wc',
				'example.com/owner-team': 'net-team-pager-5551234',
				'meta.helm.sh/release-name': 'multus',
			};
			ds.spec!.template.metadata!.annotations = {'kubectl.kubernetes.io/restartedAt': '2026-11-24T22:00:00Z', 'k8s.example.com/auth-secret': 'topsecretvalue1'};
			ds.spec!.template.spec!.containers[0]!.args = ['--password', 'S3cr3tPassw0rd', '--api-token', 'abcd1234efgh5678', '--client-secret=xyzzy-9876-plugh', '--multus-log-level=verbose', '--tls-key-file=/etc/multus/tls.key', '--cleanup-config-on-exit'];
			return made;
		};
		const secrets = ['hunter2hunter2', 's.Xk2dQ9vLm3RtYb7Wc', 'net-team-pager-5551234', 'topsecretvalue1', 'S3cr3tPassw0rd', 'abcd1234efgh5678', 'xyzzy-9876-plugh'];
		for (const redact of [true, false]) {
			const {md, json} = await everyOutput(cluster, {redact});
			for (const secret of secrets) {
				assert.ok(!md.includes(secret), `${secret} in report.md (redact ${redact})`);
				assert.ok(!json.includes(secret), `${secret} in report.json (redact ${redact})`);
			}
			const ds = JSON.parse(json).daemonSet;
			assert.deepEqual(ds.metadata.annotations, {
				'deprecated.daemonset.template.generation': '1',
				'example.com/db-password': 'a value (not shown)',
				'vault.hashicorp.com/agent-inject-token': 'a value (not shown)',
				'example.com/owner-team': 'a value (not shown)',
				'meta.helm.sh/release-name': 'multus',
			});
			assert.deepEqual(ds.spec.template.metadata.annotations, {'kubectl.kubernetes.io/restartedAt': '2026-11-24T22:00:00Z', 'k8s.example.com/auth-secret': 'a value (not shown)'});
			assert.deepEqual(ds.spec.template.spec.containers[0].args, ['--password', 'a value (not shown)', '--api-token', 'a value (not shown)', '--client-secret=a value (not shown)', '--multus-log-level=verbose', '--tls-key-file=/etc/multus/tls.key', '--cleanup-config-on-exit']);
			assert.match(md, /- --password\n\s+- a value \(not shown\)/);
		}
	});

	test('which names name a secret, and which flags take their value', () => {
		for (const name of ['--password', '-passwd', '--api-token', 'db-password', 'clientSecret', 'agent-inject-token', '--auth', 'AWS_SECRET_ACCESS_KEY', 'apiKey', '--credentials', 'x-auth-key']) assert.ok(namesSecret(name), name);
		for (const name of ['--tls-key-file', '--token-ttl', '--multus-log-level', '--kubeconfig', 'deprecated.daemonset.template.generation', '--monkey', '--author', '--cni-conf-dir']) assert.ok(!namesSecret(name), name);
		assert.deepEqual(shownArgs(['--token', '--verbose', '--secret', 'x', '-p', 'y']), ['--token', '--verbose', '--secret', 'a value (not shown)', '-p', 'y']);
		assert.deepEqual(shownArgs(['--password', '-dash-first', '-v']), ['--password', 'a value (not shown)', '-v']);
	});
});

/** A broken pod's log: `lines` forbidden lines, each its own (a request id apart), newest last. */
function distinctForbiddenLines(lines: number): string {
	return Array.from({length: lines}, (_, index) => forbiddenLine(index % 2 ? 'watch' : 'list', `2026-11-24T22:${String(Math.floor(index / 60)).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}.000000000Z`).replace(/\n$/, ` request="${index}"\n`)).join('');
}

describe('report: a Markdown that fits a GitHub issue', () => {
	for (const pods of [5, 25]) test(`${pods} broken pods x 40 long lines (--log-pods ${pods}): the Markdown stays within 60,000 characters, says it was shortened and that --bundle has the rest; the JSON holds what the Markdown shows`, async () => {
		const nodes = Array.from({length: pods}, (_, index) => `node-${index}`);
		const cluster = brokenThick({nodes});
		for (const name of cluster.logs.keys()) cluster.logs.set(name, distinctForbiddenLines(120));
		const collected = await collectReport({...options, logPods: pods}, cluster.env(), new AbortController().signal);
		assert.equal(collected.samples.length, pods);
		const {markdown, document, json} = reportOutputs(collected, true, false);
		assert.ok(markdown.length <= 60_000, `${markdown.length} characters`);
		assert.ok(markdown.length > 25_000, 'shortened no more than needed');
		assert.deepEqual(checkMarkdown(markdown).problems, []);
		assert.equal(document.logs?.shortened, true);
		const most = document.logs!.excerptLines;
		assert.ok(most < 40 && most > 0, `${most} lines per pod`);
		assert.match(markdown, new RegExp(`^- Shortened to fit a GitHub issue \\(65,536 characters\\): log excerpts of at most ${most} line\\(s\\) each, not 40; \`kubectl multus report --bundle FILE\` holds each pod's whole log read$`, 'm'));
		assert.deepEqual(JSON.parse(json), document);
		for (const sample of document.logs!.samples) {
			assert.equal(sample.excerpt.length, most);
			assert.equal(sample.omitted, 120 - most);
			assert.ok(markdown.includes(`: the newest ${most} of 120 lines, `));
			for (const line of sample.excerpt) assert.ok(markdown.includes(line));
		}
	});

	test('a report that fits is not shortened, and says nothing of it', async () => {
		const collected = await collectReport(options, brokenThick().env(), new AbortController().signal);
		const {markdown, document} = reportOutputs(collected, true, false);
		assert.equal(document.logs?.shortened, false);
		assert.equal(document.logs?.excerptLines, 40);
		assert.doesNotMatch(markdown, /Shortened/);
	});

	test('a run of the same line, its time aside, is one line and a count', () => {
		const log = distinctForbiddenLines(1) + Array.from({length: 50}, (_, index) => forbiddenLine('watch', `2026-11-24T23:00:${String(index).padStart(2, '0')}.000000000Z`)).join('') + 'I1124 23:01:00.000000       1 server.go:1] done\n';
		const {excerpt, omitted} = logExcerpt(log, 40);
		assert.equal(excerpt.length, 4);
		assert.equal(omitted, 0);
		assert.match(excerpt[1]!, /^2026-11-24T23:00:00\.000000000Z .*cannot watch resource/);
		assert.equal(excerpt[2], '… the same line 49 more time(s), at other times');
		assert.equal(logExcerpt('same\nsame\nsame\n', 40).excerpt[1], '… the same line 2 more time(s)');
		assert.deepEqual(logExcerpt(log, 2), {excerpt: ['I1124 23:01:00.000000       1 server.go:1] done'], omitted: 51});
	});
});

describe('report --bundle', () => {
	test('the bundle is readable by its owner only (0600), a new file and one written over', async () => {
		const umask = process.umask(0o022);
		const dir = mkdtempSync(path.join(tmpdir(), 'report-mode-'));
		try {
			const run = (file: string) => runReport({...options, bundle: file, redact: false}, {...brokenThick().env(), stdout: () => {}, stderr: () => {}});
			const fresh = path.join(dir, 'new.tar.gz');
			await run(fresh);
			assert.equal(statSync(fresh).mode & 0o777, 0o600);
			const old = path.join(dir, 'old.tar.gz');
			writeFileSync(old, 'an older bundle');
			chmodSync(old, 0o644);
			await run(old);
			assert.equal(statSync(old).mode & 0o777, 0o600);
			assert.notEqual(readFileSync(old, 'utf8'), 'an older bundle');
			assert.deepEqual(readdirSync(dir).sort(), ['new.tar.gz', 'old.tar.gz']);
		} finally {
			process.umask(umask);
			rmSync(dir, {recursive: true, force: true});
		}
	});
});
