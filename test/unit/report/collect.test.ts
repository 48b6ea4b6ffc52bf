// `kubectl multus report` against the in-memory cluster: the doctor's own steps, read-only (no write reaches the
// cluster, and a step that tried one would be refused), and for a caller who may read only some of it, each gap
// named with the server's reason while what can be judged is.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {MultusError} from '../../../source/errors.js';
import type {KubeApi} from '../../../source/kube/client.js';
import {kubeApiAccess, readOnlyKubeApi} from '../../../source/kube/read-only.js';
import type {ReportOptions} from '../../../source/options.js';
import {collectReport} from '../../../source/report/collect.js';
import {reportOutputs} from '../../../source/commands/report.js';
import {checkMarkdown} from '../../helpers/markdown.js';
import {brokenThick, healthyThick} from '../../helpers/fake-multus.js';

const options: ReportOptions = {
	connection: {kubeconfig: undefined, context: undefined, cluster: undefined, user: undefined, namespace: undefined, as: undefined, asGroup: undefined, asUid: undefined, requestTimeoutMs: 30_000},
	output: 'md',
	bundle: undefined,
	redact: true,
	daemonSet: undefined,
	logPods: 5,
	logBytes: 262_144,
};

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
		// Each log was read once: the excerpts are the reads the checks judged.
		assert.equal(cluster.callsOf('readPodLog').length, 3);
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
		const {markdown, document} = reportOutputs(collected, true, false);
		assert.deepEqual(checkMarkdown(markdown).problems, []);
		assert.match(markdown, /#### Not collected\n\n- the ClusterRoleBindings and ClusterRoles that grant system:serviceaccount:kube-system:multus \(Forbidden\): `cannot list ClusterRoleBindings: /);
		assert.equal(document.rbac.read, false);
	});

	test('no Multus: the report says so', async () => {
		const cluster = brokenThick();
		cluster.daemonSets = [];
		const collected = await collectReport(options, cluster.env(), new AbortController().signal);
		assert.equal(collected.verdict, 'not-found');
		assert.match(reportOutputs(collected, true, false).markdown, /\*\*Verdict: no multus found\.\*\* /);
	});

	test('cannot connect: the error, not a report', async () => {
		const cluster = brokenThick().fault('serverVersion', {error: new MultusError('Unreachable', 'cannot read the server version: cannot connect')});
		await assert.rejects(collectReport(options, cluster.env(), new AbortController().signal), {kind: 'Unreachable'});
	});
});
