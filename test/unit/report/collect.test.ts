// `kubectl multus report` against the in-memory cluster: the doctor's own steps, read-only (no write reaches the
// cluster, and a step that tried one would be refused), and for a caller who may read only some of it, each gap
// named with the server's reason while what can be judged is.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {MultusError} from '../../../source/errors.js';
import type {KubeApi} from '../../../source/kube/client.js';
import {kubeApiAccess, readOnlyKubeApi} from '../../../source/kube/read-only.js';
import type {ReportOptions} from '../../../source/options.js';
import {reportOptions as options} from '../../helpers/report-fixture.js';
import {collectReport} from '../../../source/report/collect.js';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {bundleDirectory, reportOutputs, runReport} from '../../../source/commands/report.js';
import {checkMarkdown} from '../../helpers/markdown.js';
import {brokenThick, healthyThick} from '../../helpers/fake-multus.js';


const writes = Object.entries(kubeApiAccess).filter(([, access]) => access === 'write').map(([name]) => name);

const forbidden = (what: string, resource: string, verb = 'list') =>
	new MultusError('Forbidden', `cannot ${what}: ${resource} is forbidden: User "system:serviceaccount:default:reader" cannot ${verb} resource "${resource.split('.')[0]}"`);

describe('readOnlyKubeApi', () => {
	test('every write is refused before it reaches the client; every read goes through', async () => {
		const cluster = brokenThick();
		const client = readOnlyKubeApi(cluster);
		for (const name of writes) {
			await assert.rejects((client[name as keyof KubeApi] as () => Promise<unknown>)(), {kind: 'Internal', message: new RegExp(`read-only run tried to write \\(${name}\\)`)});
		}
		assert.equal(cluster.calls.length, 0);
		assert.equal(await client.serverVersion(), 'v1.36.3');
		assert.equal((await client.listDaemonSets(undefined)).length, 1);
		// An access review stores nothing: it is a read.
		assert.equal(kubeApiAccess.subjectAccess, 'read');
		assert.deepEqual(writes.sort(), ['createClusterRole', 'createClusterRoleBinding', 'deleteClusterRole', 'deleteClusterRoleBinding', 'patchClusterRole', 'restartDaemonSet']);
	});
});

describe('collectReport', () => {
	test('broken thick, as an admin: the doctor\'s findings and fix, the logs it judged, and nothing written (not even a dry run)', async () => {
		const cluster = brokenThick();
		const collected = await collectReport(options, cluster.env(), new AbortController().signal);
		assert.equal(collected.verdict, 'broken');
		assert.deepEqual(collected.gaps, []);
		assert.ok(collected.checks.some(check => check.id === 'pods-list-access' && check.status === 'fail'));
		assert.deepEqual(collected.plan?.patch.missing, [{apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}]);
		assert.equal(collected.plan?.serverDryRun, 'skipped');
		assert.equal(collected.samples.length, 3);
		assert.ok(collected.samples.every(sample => sample.text?.includes('pods is forbidden')));
		assert.deepEqual(collected.nodes.sort(), ['node-a', 'node-b', 'node-c']);
		assert.deepEqual(cluster.calls.filter(call => writes.includes(call.method)), []);
		// The fake's image is snapshot-thick (master): its DRA rules are an advisory gap.
		assert.deepEqual(collected.raised.map(raised => raised.code).sort(), ['MULTUS-LOG-001', 'MULTUS-RBAC-001', 'MULTUS-RBAC-002', 'MULTUS-RULE-010', 'MULTUS-RULE-025']);
		// Each log was read once: the excerpts are the reads the checks judged.
		assert.equal(cluster.callsOf('readPodLog').length, 3);
	});

	test('a caller who may not list RoleBindings: the report offers no fix that could reach others, says why, and lists the RoleBindings as not collected', async () => {
		const cluster = brokenThick();
		cluster.addRoleBinding({metadata: {name: 'reuse', namespace: 'team-a'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'multus'}, subjects: [{kind: 'User', name: 'alice'}]});
		cluster.fault('listRoleBindings', {error: forbidden('list RoleBindings in all namespaces', 'rolebindings.rbac.authorization.k8s.io')}, {times: Number.POSITIVE_INFINITY});
		const collected = await collectReport(options, cluster.env(), new AbortController().signal);
		const {markdown, document} = reportOutputs(collected, true, false);
		assert.equal(document.fix, null);
		assert.match(document.fixRefused?.message ?? '', /where the rules may go is not judged: you may not list RoleBindings/);
		assert.ok(document.notCollected.some(gap => /RoleBindings/.test(gap.what) && gap.kind === 'Forbidden'), JSON.stringify(document.notCollected));
		assert.doesNotMatch(markdown, /Add to ClusterRole/);
		assert.match(markdown, /#### Not collected\n\n- the RoleBindings in all namespaces/);
	});

	test('who collected it, as the API server sees the caller (SelfSubjectReview), beside the kubeconfig user; an older server that cannot say leaves it out, no gap', async () => {
		const cluster = brokenThick();
		cluster.caller = {username: 'oidc:jane@example.com', groups: ['platform-admins', 'system:authenticated']};
		const collected = await collectReport(options, cluster.env(), new AbortController().signal);
		assert.deepEqual(collected.caller, {username: 'oidc:jane@example.com', groups: ['platform-admins', 'system:authenticated']});
		const {markdown, document} = reportOutputs(collected, true, false);
		assert.deepEqual(document.caller, {user: 'admin', impersonating: null, server: {username: 'oidc:jane@example.com', groups: ['platform-admins', 'system:authenticated']}});
		assert.match(markdown, /^- Collected by: kubeconfig user `admin`, whom the API server knows as `oidc:jane@example\.com` \(groups `platform-admins`, `system:authenticated`\) at /m);

		const older = brokenThick().fault('whoAmI', {error: new MultusError('NotFound', 'the server could not find the requested resource (selfsubjectreviews.authentication.k8s.io)', {status: 404})});
		const without = await collectReport(options, older.env(), new AbortController().signal);
		assert.equal(without.caller, undefined);
		assert.deepEqual(without.gaps, []);
		const outputs = reportOutputs(without, true, false);
		assert.equal(outputs.document.caller.server, null);
		assert.match(outputs.markdown, /^- Collected by: kubeconfig user `admin` at /m);
	});

	test('healthy thick: healthy, no fix', async () => {
		const collected = await collectReport(options, healthyThick().env(), new AbortController().signal);
		assert.equal(collected.verdict, 'healthy');
		assert.equal(collected.plan, undefined);
	});

	test('a caller who may not read roles or create access reviews: each gap with its reason, the logs still judged', async () => {
		const cluster = brokenThick()
			.fault('listClusterRoleBindings', {error: forbidden('list ClusterRoleBindings', 'clusterrolebindings.rbac.authorization.k8s.io')}, {times: 10})
			.fault('subjectAccess', {error: forbidden('create a SubjectAccessReview', 'subjectaccessreviews.authorization.k8s.io', 'create')}, {times: 100})
			.fault('readServiceAccount', {error: forbidden('read ServiceAccount kube-system/multus', 'serviceaccounts', 'get')});
		const collected = await collectReport(options, cluster.env(), new AbortController().signal);
		assert.equal(collected.verdict, 'incomplete');
		assert.equal(collected.rolesRead, false);
		assert.match(collected.summary, /^Not judged: 5 blocking check\(s\) could not be asked .*The sampled logs hold 6 forbidden line\(s\)/);
		assert.deepEqual(collected.gaps.map(gap => gap.what), [
			'the ClusterRoleBindings and ClusterRoles that grant system:serviceaccount:kube-system:multus',
			'ServiceAccount kube-system/multus',
			'checks pods-list-access, pods-watch-access, network-attachment-definitions-list-access, network-attachment-definitions-watch-access',
		]);
		assert.ok(collected.gaps.every(gap => gap.kind === 'Forbidden' && /is forbidden: User "system:serviceaccount:default:reader"/.test(gap.why)));
		const logs = collected.checks.find(check => check.id === 'pods-forbidden-logs');
		assert.equal(logs?.status, 'fail');
		const rules = collected.checks.find(check => check.id === 'rbac-rules');
		assert.ok(rules && 'error' in rules && /cannot list ClusterRoleBindings/.test(rules.error));
		assert.ok(collected.daemonSet, 'the DaemonSet is still shown');
		// Only what was judged is raised: the logs' denials, as the doctor would raise them.
		assert.deepEqual(collected.raised.map(raised => [raised.code, raised.details]), [['MULTUS-LOG-001', ["6 forbidden line(s) in the sampled pods' logs"]]]);
		const {markdown, document} = reportOutputs(collected, true, false);
		assert.deepEqual(checkMarkdown(markdown).problems, []);
		assert.match(markdown, /#### Not collected\n\n- the ClusterRoleBindings and ClusterRoles that grant system:serviceaccount:kube-system:multus \(Forbidden\): `cannot list ClusterRoleBindings: /);
		assert.equal(document.rbac.read, false);
	});

	test('logs that cannot be read: one gap for the pods, with the reason', async () => {
		const cluster = brokenThick().fault('readPodLog', {error: forbidden('read the log of pod kube-system/x', 'pods', 'get')}, {times: 3});
		const collected = await collectReport(options, cluster.env(), new AbortController().signal);
		assert.deepEqual(collected.gaps.map(gap => [gap.what, gap.kind]), [['the logs of 3 pods kube-system/kube-multus-ds-g1-old-node-a, kube-system/kube-multus-ds-g1-old-node-b, kube-system/kube-multus-ds-g1-old-node-c', 'Forbidden']]);
		assert.ok(collected.samples.every(sample => sample.error && sample.errorKind === 'Forbidden'));
		assert.ok(collected.raised.some(raised => raised.code === 'MULTUS-LOG-004'));
	});

	test('no Multus: the report says so', async () => {
		const cluster = brokenThick();
		cluster.daemonSets = [];
		const collected = await collectReport(options, cluster.env(), new AbortController().signal);
		assert.equal(collected.verdict, 'not-found');
		assert.deepEqual(collected.raised.map(raised => raised.code), ['MULTUS-FIND-001']);
		assert.match(reportOutputs(collected, true, false).markdown, /\*\*Verdict: no multus found\.\*\* /);
	});

	test('cannot connect: the error, not a report', async () => {
		const cluster = brokenThick().fault('serverVersion', {error: new MultusError('Unreachable', 'cannot read the server version: cannot connect')});
		await assert.rejects(collectReport(options, cluster.env(), new AbortController().signal), {kind: 'Unreachable'});
	});
});

describe('runReport', () => {
	const run = async (overrides: Partial<ReportOptions>, cluster = brokenThick()) => {
		let stdout = '';
		let stderr = '';
		const code = await runReport({...options, ...overrides}, {...cluster.env(), stdout: text => (stdout += text), stderr: text => (stderr += text)});
		return {code, stdout, stderr};
	};

	test('-o md and -o json print the same report; exit 0 whatever it found', async () => {
		const md = await run({});
		assert.equal(md.code, 0);
		assert.match(md.stdout, /^### kubectl multus report\n\n\*\*Verdict: broken\.\*\* /);
		assert.equal(md.stderr, '');
		const json = await run({output: 'json'});
		const document = JSON.parse(json.stdout);
		assert.equal(document.verdict, 'broken');
		assert.deepEqual(document.redacted, {token: 0, certificate: 0, key: 0, ip: 0, hostname: 4});
	});

	test('--bundle: the archive is written whole, nothing on stdout; a file that cannot be written is a usage error (exit 2), and leaves nothing', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'report-bundle-'));
		try {
			const file = path.join(dir, 'case 1.tgz');
			const written = await run({bundle: file});
			assert.equal(written.code, 0);
			assert.equal(written.stdout, '');
			assert.match(written.stderr, /^wrote .*case 1\.tgz \(\d+ KiB\): case_1\/report\.md, report\.json and 3 log\(s\) under logs\/\n$/);
			const listed = execFileSync('tar', ['-tzf', file], {encoding: 'utf8'}).trim().split('\n');
			assert.deepEqual(listed.filter(entry => !entry.endsWith('/')).sort(), ['case_1/logs/kube-system/kube-multus-ds-g1-old-node-a/kube-multus.log', 'case_1/logs/kube-system/kube-multus-ds-g1-old-node-b/kube-multus.log', 'case_1/logs/kube-system/kube-multus-ds-g1-old-node-c/kube-multus.log', 'case_1/report.json', 'case_1/report.md']);
			await assert.rejects(run({bundle: path.join(dir, 'missing', 'x.tar.gz')}), {kind: 'Usage', message: /^cannot write the bundle .*x\.tar\.gz: ENOENT$/});
			assert.deepEqual(readdirSync(dir), ['case 1.tgz']);
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});

	test('the bundle directory is the file name without .tar.gz or .tgz, in safe characters', () => {
		assert.equal(bundleDirectory('/tmp/multus-report.tar.gz'), 'multus-report');
		assert.equal(bundleDirectory('x/ticket 42.TGZ'), 'ticket_42');
		assert.equal(bundleDirectory('.tar.gz'), 'multus-report');
		assert.equal(bundleDirectory('../..'), 'multus-report');
	});
});
