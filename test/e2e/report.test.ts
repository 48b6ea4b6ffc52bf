// `kubectl multus report` on the real cluster: broken and healthy thick installs, as cluster-admin and as read-only
// users made the way a cluster admin makes them (a ServiceAccount bound to `view`, a TokenRequest token, a
// kubeconfig of its own). It never writes: every request it sends is a read or an access review (seen through a
// recording proxy), and the objects it reads keep their resourceVersions. The Markdown keeps the CommonMark
// structure it relies on (test/helpers/markdown.ts), and holds none of the secrets planted in the DaemonSet, its
// environment and a daemon's log.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {losingProxy, type LosingProxy} from '../helpers/apiservers.js';
import {applyScenario, clusterDir, deleteScenario, kubectl, kubectlJson, runPlugin, type RunResult} from '../helpers/cluster.js';
import YAML from 'yaml';
import {adminKubeconfigVia, realCluster, writeKubeconfig} from '../helpers/faults.js';
import {checkMarkdown} from '../helpers/markdown.js';

const work = mkdtempSync(path.join(tmpdir(), 'report-e2e-'));

// What is planted, and must not be in any report: a token, a certificate and an address in the DaemonSet's
// annotations (whose values, not being a known tool's, are never shown) and in a daemon's log (redacted), and a
// value in the daemon's environment (never shown, even with --no-redact).
const plantedToken = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cGxhbnRlZCJ9.cGxhbnRlZC1zaWduYXR1cmU';
const plantedCertificate = '-----BEGIN CERTIFICATE-----\nMIIBplantedCERTIFICATEbody0123456789\n-----END CERTIFICATE-----';
const plantedAddress = '10.23.45.67';
const plantedEnvValue = 'planted-env-value-7f3a9c';
const hostile = '```````` </details> <script>x</script> \u001b]0;pwned\u0007 \u001b[2J @here #1 \u202e';
const planted = [plantedToken, plantedCertificate, 'MIIBplantedCERTIFICATEbody0123456789', plantedAddress, plantedEnvValue];

function assertNoSecret(text: string, where: string): void {
	for (const secret of planted) assert.ok(!text.includes(secret), `${where} holds the planted ${JSON.stringify(secret.slice(0, 20))}`);
}

/** Plants the secrets in the DaemonSet (its annotations; its environment, which rolls it) and waits for the rollout. */
function plantSecrets(): void {
	kubectl(['-n', 'kube-system', 'annotate', 'ds', 'kube-multus-ds', '--overwrite', `example.com/contact=ops at ${plantedAddress}, token ${plantedToken}`, `example.com/ca=${plantedCertificate}`, `example.com/hostile=${hostile}`]);
	kubectl(['-n', 'kube-system', 'set', 'env', 'ds/kube-multus-ds', '-c', 'kube-multus', `API_TOKEN=${plantedEnvValue}`]);
	kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=120s']);
}

/** Appends a line to every Multus pod's log (the CRI files behind kubectl logs), with a token and an address. */
function plantInLogs(): void {
	const dir = path.join(clusterDir, 'multus-logs');
	for (const file of readdirSync(dir).filter(name => name.startsWith('kube-system_kube-multus-ds-'))) {
		appendFileSync(path.join(dir, file), `${new Date().toISOString()} stderr F 2026-12-01T13:00:00Z [error] talking to ${plantedAddress} with Authorization: Bearer ${plantedToken} ca="${plantedCertificate.replaceAll('\n', '\\n')}"\n`);
		// Text that would break out of a code block, close the <details>, or act on a terminal, if it were not escaped.
		appendFileSync(path.join(dir, file), `${new Date().toISOString()} stderr F ${hostile}\n`);
	}
}

/** The resourceVersions of everything the report reads (and the DaemonSet's generation): a write would change one. */
function objectVersions(): Record<string, string> {
	const versions: Record<string, string> = {};
	const ds = kubectlJson(['-n', 'kube-system', 'get', 'ds', 'kube-multus-ds']);
	versions['ds generation'] = String(ds.metadata.generation);
	versions['ds template'] = JSON.stringify(ds.spec.template);
	for (const [kind, list] of [['clusterrole', kubectlJson(['get', 'clusterroles'])], ['clusterrolebinding', kubectlJson(['get', 'clusterrolebindings'])], ['configmap', kubectlJson(['-n', 'kube-system', 'get', 'configmaps'])], ['serviceaccount', kubectlJson(['-n', 'kube-system', 'get', 'serviceaccounts'])]] as const) {
		for (const item of list.items) versions[`${kind} ${item.metadata.name}`] = item.metadata.resourceVersion;
	}
	return versions;
}

/** A ServiceAccount bound to `role` cluster-wide, and a kubeconfig with its TokenRequest token. */
function restrictedUser(name: string, role: string): string {
	kubectl(['-n', 'default', 'create', 'serviceaccount', name]);
	kubectl(['create', 'clusterrolebinding', name, `--clusterrole=${role}`, `--serviceaccount=default:${name}`]);
	const token = kubectl(['-n', 'default', 'create', 'token', name, '--duration=1h']).trim();
	const real = realCluster();
	return writeKubeconfig(YAML.stringify({
		apiVersion: 'v1',
		kind: 'Config',
		clusters: [{name: 'report-e2e', cluster: {server: real.server, 'certificate-authority': real.certificateAuthority}}],
		users: [{name, user: {token}}],
		contexts: [{name, context: {cluster: 'report-e2e', user: name}}],
		'current-context': name,
	}));
}

function report(args: string[], kubeconfig?: string): Promise<RunResult> {
	return runPlugin(['report', ...args, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])], {timeoutMs: 120_000});
}

function assertMarkdown(markdown: string): void {
	assert.deepEqual(checkMarkdown(markdown).problems, [], markdown);
	assertNoSecret(markdown, 'the Markdown');
}

const cleanups: string[][] = [];
after(() => {
	for (const args of cleanups.reverse()) {
		try {
			kubectl(args);
		} catch {}
	}
	rmSync(work, {recursive: true, force: true});
});

describe('report: broken thick', () => {
	let reader: string;
	let noLogs: string;
	before(() => {
		applyScenario('broken-thick');
		plantSecrets();
		plantInLogs();
		reader = restrictedUser('report-reader', 'view');
		cleanups.push(['-n', 'default', 'delete', 'serviceaccount', 'report-reader'], ['delete', 'clusterrolebinding', 'report-reader']);
		// May read the DaemonSet, its pods, config and ServiceAccount, but not their logs.
		kubectl(['create', 'clusterrole', 'report-no-logs', '--verb=get,list', '--resource=daemonsets.apps,pods,configmaps,serviceaccounts,namespaces']);
		cleanups.push(['delete', 'clusterrole', 'report-no-logs']);
		noLogs = restrictedUser('report-no-logs', 'report-no-logs');
		cleanups.push(['-n', 'default', 'delete', 'serviceaccount', 'report-no-logs'], ['delete', 'clusterrolebinding', 'report-no-logs']);
	});
	after(() => deleteScenario('broken-thick'));

	test('as cluster-admin, through a recording proxy: only reads and access reviews are sent; the doctor\'s findings and fix; no secret', async () => {
		const proxy: LosingProxy = await losingProxy(realCluster().server.replace(/^https:\/\//, ''), () => false, 'answer');
		try {
			const versions = objectVersions();
			const result = await report([], adminKubeconfigVia(proxy.url));
			assert.equal(result.code, 0, result.stderr);
			assert.equal(result.stderr, '');
			const markdown = result.stdout;
			assertMarkdown(markdown);
			assert.match(markdown, /^\*\*Verdict: broken\.\*\* Broken: the thick daemon's pod informer cannot list or watch pods at cluster scope\.$/m);
			assert.match(markdown, /^- ✖ `MULTUS-RBAC-001` `pods-list-access` \(blocking\): access review: system:serviceaccount:kube-system:multus cannot list pods at cluster scope/m);
			assert.match(markdown, /^- ✖ `MULTUS-RULE-001` `rbac-rules` \(blocking\): rules: missing pods \\\[""\\\]: list, watch {2}\\\[MULTUS-RULE-010\\\]$/m);
			assert.match(markdown, /^- `MULTUS-RULE-010` Missing rule: list and watch on pods \(the pod informer\): missing pods \\\[""\\\]: list, watch$/m);
			assert.match(markdown, /^- `MULTUS-RBAC-001` The Multus identity may not list pods at cluster scope: /m);
			assert.match(markdown, /^- Add to ClusterRole `multus`: `pods \[""\]: list, watch`$/m);
			assert.match(markdown, /^- Kubernetes: `v1\.36\.3` at `https:\/\/127\.0\.0\.1:\d+`$/m);
			assert.match(markdown, /^- Release: `master` \(floating/m);
			assert.match(markdown, /^- Redacted: 1 token\(s\), 1 certificate\(s\), 1 IP address\(es\), 3 host name\(s\);/m);
			assert.match(markdown, /^- ClusterRole `multus` via ClusterRoleBinding `multus` \(ServiceAccount kube-system:multus\)$/m);
			assert.match(markdown, /API_TOKEN: a value \(not shown\)/);
			assert.match(markdown, /example\.com\/contact: a value \(not shown\)/);
			assert.doesNotMatch(markdown, /#### Not collected/);
			const excerpts = markdown.match(/^<details><summary>pod kube-system\/kube-multus-ds-[a-z0-9]+ \(kube-multus\) on \[REDACTED-HOSTNAME-\d\]: /gm) ?? [];
			assert.equal(excerpts.length, 3);
			assert.match(markdown, /pods is forbidden: User \\"system:serviceaccount:kube-system:multus\\" cannot list resource \\"pods\\"/);
			assert.match(markdown, /talking to \[REDACTED-IP-1\] with Authorization: Bearer \[REDACTED-TOKEN-1\]/);
			// The hostile line stays inside its block, escaped: a longer fence, and the escapes shown, not sent.
			assert.ok(markdown.includes('```````` </details> <script>x</script> \\x1b]0;pwned\\x07 \\x1b[2J @here #1 \\u202e'), 'the hostile log line, escaped, in its block');
			assert.match(markdown, /^`{9}text$/m);

			const requests = proxy.requests();
			assert.ok(requests.length > 5, JSON.stringify(requests));
			const reviews = /^\/apis\/(authorization\.k8s\.io\/v1\/(self)?subjectaccessreviews|authentication\.k8s\.io\/v1\/selfsubjectreviews)(\?|$)/;
			const notReads = requests.filter(r => r.method !== 'GET' && !(r.method === 'POST' && reviews.test(r.url)));
			assert.deepEqual(notReads, [], 'every request a read, an access review or a self review (none stores anything)');
			assert.equal(requests.filter(r => r.method === 'POST' && /selfsubjectreviews/.test(r.url)).length, 1, 'who the server takes the caller for, asked once');
			assert.ok(requests.every(r => !/dryRun/.test(r.url)), 'no dry run either');
			assert.ok(requests.some(r => /\/log\?/.test(r.url)), 'the logs were read');
			assert.deepEqual(objectVersions(), versions);
		} finally {
			await proxy.close();
		}
	});

	test('-o json and --bundle: the same findings as data; the bundle a directory of report.md, report.json and every sampled log, none with a secret', async () => {
		const json = await report(['-o', 'json']);
		assert.equal(json.code, 0, json.stderr);
		const document = JSON.parse(json.stdout);
		assert.equal(document.verdict, 'broken');
		const watch = document.findings.find((f: {id: string}) => f.id === 'pods-watch-access');
		assert.deepEqual({status: watch.status, code: watch.code, page: watch.page}, {status: 'fail', code: 'MULTUS-RBAC-002', page: 'docs/findings.md#multus-rbac-002'});
		assert.deepEqual(document.findings.find((f: {id: string}) => f.id === 'rbac-rules').gaps, [{code: 'MULTUS-RULE-010', rule: 'pods [""]: list, watch'}]);
		assert.deepEqual(document.fix.add, ['pods [""]: list, watch']);
		assert.equal(document.redacted.token, 1);
		assert.equal(document.redacted.certificate, 1);
		assert.equal(document.redacted.ip, 1);
		assert.deepEqual(document.notCollected, []);
		assert.deepEqual(document.codes.map((c: {code: string}) => c.code).sort(), ['MULTUS-LOG-001', 'MULTUS-RBAC-001', 'MULTUS-RBAC-002', 'MULTUS-RULE-010', 'MULTUS-RULE-025']);
		assertNoSecret(json.stdout, 'the JSON');

		const file = path.join(work, 'multus-report.tar.gz');
		const bundled = await report(['--bundle', file]);
		assert.equal(bundled.code, 0, bundled.stderr);
		assert.equal(bundled.stdout, '');
		assert.match(bundled.stderr, /^wrote .*multus-report\.tar\.gz \(\d+ KiB\): multus-report\/report\.md, report\.json and 3 log\(s\) under logs\/\n$/);
		const out = path.join(work, 'out');
		execFileSync('mkdir', ['-p', out]);
		execFileSync('tar', ['-xzf', file, '-C', out]);
		const root = path.join(out, 'multus-report');
		const pods = readdirSync(path.join(root, 'logs', 'kube-system')).sort();
		assert.equal(pods.length, 3);
		for (const pod of pods) {
			const log = readFileSync(path.join(root, 'logs', 'kube-system', pod, 'kube-multus.log'), 'utf8');
			assert.match(log, /pods is forbidden/);
			assertNoSecret(log, `the bundled log of ${pod}`);
		}
		assertMarkdown(readFileSync(path.join(root, 'report.md'), 'utf8'));
		// scan reads the bundle: every log in it, findings by file and line.
		const scanned = await runPlugin(['scan', file, '-o', 'json']);
		assert.equal(scanned.code, 1, scanned.stderr);
		const files = new Set(JSON.parse(scanned.stdout).findings.map((f: {file: string}) => f.file));
		assert.deepEqual([...files].sort(), pods.map(pod => `multus-report/logs/kube-system/${pod}/kube-multus.log`));
		const bundledDocument = JSON.parse(readFileSync(path.join(root, 'report.json'), 'utf8'));
		assert.equal(bundledDocument.verdict, 'broken');
		assert.deepEqual(bundledDocument.logs.samples.map((s: {file: string}) => s.file).sort(), pods.map(pod => `logs/kube-system/${pod}/kube-multus.log`));
	});

	test('--no-redact keeps what redaction hides, and still no environment value', async () => {
		const result = await report(['--no-redact']);
		assert.equal(result.code, 0, result.stderr);
		assert.ok(result.stdout.includes(plantedAddress));
		assert.ok(result.stdout.includes(plantedToken));
		assert.ok(!result.stdout.includes(plantedEnvValue));
		assert.match(result.stdout, /^- Redacted: nothing \(`--no-redact`\)$/m);
		assert.deepEqual(checkMarkdown(result.stdout).problems, []);
	});

	test('as a read-only user (view): what it could not read, with the API server\'s reason; the logs still judged; nothing changed', async () => {
		const versions = objectVersions();
		const result = await report([], reader);
		assert.equal(result.code, 0, result.stderr);
		const markdown = result.stdout;
		assertMarkdown(markdown);
		assert.match(markdown, /^\*\*Verdict: not judged\.\*\* Not judged: 5 blocking check\(s\) could not be asked .* The sampled logs hold \d+ forbidden line\(s\)/m);
		assert.match(markdown, /^- the ClusterRoleBindings and ClusterRoles that grant system:serviceaccount:kube-system:multus \(Forbidden\): `cannot list ClusterRoleBindings: clusterrolebindings\.rbac\.authorization\.k8s\.io is forbidden: User "system:serviceaccount:default:report-reader" cannot list resource "clusterrolebindings"/m);
		assert.match(markdown, /^- checks pods-list-access, pods-watch-access, network-attachment-definitions-list-access, network-attachment-definitions-watch-access \(Forbidden\): `cannot create a SubjectAccessReview: subjectaccessreviews\.authorization\.k8s\.io is forbidden/m);
		assert.match(markdown, /^- ✖ `MULTUS-LOG-001` `pods-forbidden-logs`: \d+ pods-forbidden line\(s\) in the 3 pod\(s\) read$/m);
		assert.match(markdown, /^- \? `MULTUS-RBAC-001` `pods-list-access` \(blocking\): not judged \(see Not collected\)$/m);
		assert.match(markdown, /^- Collected by: kubeconfig user `report-reader`, whom the API server knows as `system:serviceaccount:default:report-reader` \(groups `system:serviceaccounts`, `system:serviceaccounts:default`, `system:authenticated`\) at /m);
		assert.match(markdown, /#### DaemonSet \(trimmed: no environment values\)/);
		assert.deepEqual(objectVersions(), versions);
	});

	test('as a user who may not read pods/log: each pod\'s log named with the reason, and the log check not judged', async () => {
		const result = await report(['-o', 'json'], noLogs);
		assert.equal(result.code, 0, result.stderr);
		const document = JSON.parse(result.stdout);
		assert.equal(document.findings.find((f: {id: string}) => f.id === 'pods-forbidden-logs').status, 'unknown');
		assert.equal(document.logs.samples.length, 3);
		const logGap = document.notCollected.find((gap: {what: string}) => gap.what.startsWith('the logs of 3 pods kube-system/kube-multus-ds-'));
		assert.equal(logGap?.kind, 'Forbidden', JSON.stringify(document.notCollected));
		assert.match(logGap.why, /cannot get resource "pods\/log"/);
		for (const sample of document.logs.samples) assert.match(sample.error, /^cannot read the log of pod kube-system\/kube-multus-ds-[a-z0-9]+: pods "kube-multus-ds-[a-z0-9]+" is forbidden: User "system:serviceaccount:default:report-no-logs" cannot get resource "pods\/log"/);
		const markdown = (await report([], noLogs)).stdout;
		assertMarkdown(markdown);
		assert.match(markdown, /^- pod kube-system\/kube-multus-ds-[a-z0-9]+ \(kube-multus\) on \\\[REDACTED-HOSTNAME-\d\\\]: `cannot read the log of pod /m);
	});
});

describe('report: healthy thick', () => {
	let reader: string;
	before(() => {
		applyScenario('healthy-thick');
		reader = restrictedUser('report-healthy-reader', 'view');
		cleanups.push(['-n', 'default', 'delete', 'serviceaccount', 'report-healthy-reader'], ['delete', 'clusterrolebinding', 'report-healthy-reader']);
	});
	after(() => deleteScenario('healthy-thick'));

	test('as cluster-admin: healthy, every check passed, no fix', async () => {
		const versions = objectVersions();
		const result = await report([]);
		assert.equal(result.code, 0, result.stderr);
		assertMarkdown(result.stdout);
		assert.match(result.stdout, /^\*\*Verdict: healthy\.\*\* Healthy: system:serviceaccount:kube-system:multus can list and watch pods cluster-wide\.$/m);
		// Nothing failed; the image's release (master) also reads DRA objects: an advisory warning, not a failure.
		assert.doesNotMatch(result.stdout, /^- [✖?] /m);
		assert.match(result.stdout, /^- ! `MULTUS-RULE-002` `rbac-advisory-rules`: advisory: missing resourceclaims/m);
		assert.doesNotMatch(result.stdout, /#### The fix the doctor would make/);
		assert.deepEqual(objectVersions(), versions);
	});

	test('as a read-only user: not judged, no forbidden line in the logs, and why', async () => {
		const result = await report(['-o', 'json'], reader);
		assert.equal(result.code, 0, result.stderr);
		const document = JSON.parse(result.stdout);
		assert.equal(document.verdict, 'incomplete');
		assert.equal(document.findings.find((f: {id: string}) => f.id === 'pods-forbidden-logs').status, 'pass');
		assert.deepEqual(document.notCollected.map((gap: {kind: string}) => gap.kind), ['Forbidden', 'Forbidden']);
		assert.equal(document.rbac.read, false);
	});
});
