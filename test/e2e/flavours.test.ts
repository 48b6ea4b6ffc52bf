// `kubectl multus doctor` on the install flavours of multus-facts §4 (scenarios/*.yaml), and --emit.
import assert from 'node:assert/strict';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, test} from 'node:test';
import {applyScenario, canI, deleteScenario, kubectl, kubectlJson, runPlugin, snapshot, assertUnchanged, podsListWatch, multusServiceAccount} from '../helpers/cluster.js';


/** Our own roles: the built-in system: ones every identity gets through shared groups left out. */
function ownRoles(report: any): any[] {
	return report.multus.clusterRoles.filter((role: any) => !role.name.startsWith('system:'));
}

interface Healthy {
	scenario: string;
	namespace: string;
	daemonSet: string;
	role: string;
	mode: 'thick' | 'thin';
	check?: (report: any, text: string) => void;
}

const healthy: Healthy[] = [
	{
		scenario: 'openshift', namespace: 'openshift-multus', daemonSet: 'multus', role: 'multus', mode: 'thick',
		check(report, text) {
			assert.equal(ownRoles(report)[0].managedBy.name, 'OpenShift Cluster Network Operator');
			assert.equal(report.multus.managedBy.name, 'OpenShift Cluster Network Operator');
			assert.deepEqual(report.findings.accessReview, {list: true, watch: true});
			assert.match(text, /ClusterRole multus via ClusterRoleBinding multus-non-identity-enabled \(ServiceAccount openshift-multus:multus\)\s+managed by OpenShift Cluster Network Operator/);
		},
	},
	{
		scenario: 'kubespray-thin', namespace: 'kube-system', daemonSet: 'kube-multus-ds-amd64', role: 'multus', mode: 'thin',
		check(report) {
			assert.equal(report.multus.version, 'v4.2.2');
			assert.equal(ownRoles(report)[0].managedBy, null);
		},
	},
	{
		scenario: 'microk8s-thin', namespace: 'kube-system', daemonSet: 'kube-multus-ds', role: 'multus', mode: 'thin',
		check(report) {
			assert.equal(report.multus.version, 'v3.9');
		},
	},
	{
		scenario: 'nvidia-operator', namespace: 'nvidia-network-operator', daemonSet: 'kube-multus-ds', role: 'multus', mode: 'thin',
		check(report, text) {
			assert.equal(ownRoles(report)[0].managedBy.name, 'NVIDIA network-operator (NicClusterPolicy nic-cluster-policy)');
			assert.deepEqual(report.findings.rules.advisoryMissing, []);
			assert.match(text, /managed by NVIDIA network-operator/);
		},
	},
	{
		scenario: 'helm-chart-thin', namespace: 'kube-system', daemonSet: 'netplumb-multus-ds', role: 'multus', mode: 'thin',
		check(report, text) {
			assert.equal(ownRoles(report)[0].managedBy.name, 'Helm release netplumb in kube-system');
			assert.deepEqual(report.findings.rules.advisoryMissing, ['events [""]: patch']);
			assert.match(text, /! advisory: missing events \[""\]: patch \(warned, not patched\) {2}\[MULTUS-RULE-024\]/);
			assert.deepEqual(report.codes.map((entry: {code: string}) => entry.code), ['MULTUS-RULE-024']);
		},
	},
	{
		scenario: 'rke2-thin', namespace: 'kube-system', daemonSet: 'rke2-multus', role: 'rke2-multus', mode: 'thin',
		check(report) {
			assert.equal(ownRoles(report)[0].managedBy.name, 'HelmChart rke2-multus');
			assert.deepEqual(report.findings.rules.advisoryMissing, ['events [""]: patch']);
		},
	},
];

describe('doctor on install flavours: healthy', () => {
	for (const flavour of healthy) {
		test(`${flavour.scenario}: ${flavour.mode}, healthy, nothing offered or changed (exit 0)`, async t => {
			applyScenario(flavour.scenario);
			t.after(() => deleteScenario(flavour.scenario));
			const before = snapshot(flavour.role, flavour.namespace, flavour.daemonSet);
			const result = await runPlugin(['doctor', '--yes', '-o', 'json']);
			assert.equal(result.code, 0, result.stdout + result.stderr);
			const report = JSON.parse(result.stdout);
			assert.equal(report.verdict, 'healthy');
			assert.equal(report.plan, null);
			assert.equal(report.multus.namespace, flavour.namespace);
			assert.equal(report.multus.daemonSet, flavour.daemonSet);
			assert.equal(report.multus.mode, flavour.mode);
			assert.deepEqual(ownRoles(report).map(role => role.name), [flavour.role]);
			const text = await runPlugin(['doctor', '--check']);
			assert.equal(text.code, 0, text.stdout + text.stderr);
			flavour.check?.(report, text.stdout);
			const emitted = await runPlugin(['doctor', '--emit', 'manifest']);
			assert.equal(emitted.code, 0, emitted.stderr);
			assert.equal(emitted.stdout, '', '--emit prints nothing when there is nothing to fix');
			assertUnchanged(before, snapshot(flavour.role, flavour.namespace, flavour.daemonSet));
		});
	}
});

describe('doctor on install flavours: broken', () => {
	test('cnao-thick: managed by CNAO, guidance and no change without --force (exit 1)', async t => {
		applyScenario('cnao-thick');
		t.after(() => deleteScenario('cnao-thick'));
		const before = snapshot('multus', 'cluster-network-addons', 'multus');
		const result = await runPlugin(['doctor', '--yes', '-o', 'json']);
		assert.equal(result.code, 1, result.stdout + result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.verdict, 'managed');
		assert.equal(report.multus.mode, 'thick');
		assert.deepEqual(report.findings.accessReview, {list: false, watch: false});
		assert.deepEqual(report.plan.add, [podsListWatch]);
		assert.equal(report.plan.managedBy.name, 'KubeVirt cluster-network-addons-operator');
		assert.match(report.message, /managed by KubeVirt cluster-network-addons-operator; a manual patch would be reverted\. Fix it at the source: upgrade the operator/);
		assert.equal(report.code, 'MULTUS-OWNER-001');
		assert.equal(report.applied.clusterRole, null);
		assertUnchanged(before, snapshot('multus', 'cluster-network-addons', 'multus'));
	});

	test('aggregated-thick: patches the source role with the pods rules, never the aggregate; re-aggregated, SAR allows (exit 0)', async t => {
		applyScenario('aggregated-thick');
		t.after(() => deleteScenario('aggregated-thick'));
		const check = JSON.parse((await runPlugin(['doctor', '--check', '-o', 'json'])).stdout);
		assert.equal(check.verdict, 'problem');
		assert.deepEqual(ownRoles(check).map(role => role.name), ['multus-aggregate']);
		assert.equal(check.plan.clusterRole, 'multus-pods');
		assert.deepEqual(check.plan.aggregate, {role: 'multus-aggregate', source: 'multus-pods', sources: ['multus-nads', 'multus-pods'], why: 'the only source with rules on pods'});
		const text = await runPlugin(['doctor', '--check']);
		assert.match(text.stdout, /ClusterRole multus-aggregate is aggregated from multus-nads, multus-pods: patching source multus-pods \(the only source with rules on pods\)/);

		const podsBefore = kubectlJson(['get', 'clusterrole', 'multus-pods']);
		const nadsBefore = kubectlJson(['get', 'clusterrole', 'multus-nads']);
		const result = await runPlugin(['doctor', '--yes', '-o', 'json']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.verdict, 'fixed');
		assert.equal(report.applied.clusterRole.name, 'multus-pods');
		assert.deepEqual(report.verification.accessReview, {list: true, watch: true});
		assert.deepEqual(kubectlJson(['get', 'clusterrole', 'multus-pods']).rules, [...podsBefore.rules, podsListWatch]);
		assert.equal(kubectlJson(['get', 'clusterrole', 'multus-nads']).metadata.resourceVersion, nadsBefore.metadata.resourceVersion);
		const aggregate = kubectlJson(['get', 'clusterrole', 'multus-aggregate']);
		assert.equal(aggregate.metadata.annotations?.['kubectl-multus.dev/change'], undefined, 'the aggregate itself is not written by the doctor');
		assert.ok(aggregate.rules.some((rule: any) => JSON.stringify(rule) === JSON.stringify(podsListWatch)), 'the controller copied the rule in');
		assert.ok(canI('list', 'pods', multusServiceAccount));
		assert.ok(canI('watch', 'pods', multusServiceAccount));
	});

	test('several-roles-thick: a wildcard NAD role and a resourceNames-restricted list do not help; minimal patch of the pods role (exit 0)', async t => {
		applyScenario('several-roles-thick');
		t.after(() => deleteScenario('several-roles-thick'));
		const check = JSON.parse((await runPlugin(['doctor', '--check', '-o', 'json'])).stdout);
		assert.equal(check.verdict, 'problem');
		assert.deepEqual(ownRoles(check).map(role => role.name).sort(), ['multus-nads', 'multus-pods']);
		assert.deepEqual(check.findings.accessReview, {list: false, watch: false});
		assert.deepEqual(check.findings.rules.missing, [podsListWatch]);
		assert.equal(check.plan.clusterRole, 'multus-pods');
		const nadsBefore = kubectlJson(['get', 'clusterrole', 'multus-nads']).metadata.resourceVersion;
		const before = snapshot('multus-pods', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor', '--yes']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		// The verbs join the plain pods rule; every other rule (the named list included) is untouched.
		const after = snapshot('multus-pods', 'kube-system', 'kube-multus-ds');
		assert.deepEqual(after.rules, [{...before.rules[0], verbs: ['get', 'update', 'list', 'watch']}, ...before.rules.slice(1)]);
		assert.equal(kubectlJson(['get', 'clusterrole', 'multus-nads']).metadata.resourceVersion, nadsBefore);
		assert.ok(canI('list', 'pods', multusServiceAccount));
		assert.ok(canI('watch', 'pods', multusServiceAccount));
	});

	test('per-node-cert: checks system:multus:<node> through the Group binding, not the ServiceAccount; fixes that role (exit 0)', async t => {
		applyScenario('per-node-cert');
		t.after(() => deleteScenario('per-node-cert'));
		// The ServiceAccount itself may list and watch pods: a check of the ServiceAccount would call this healthy.
		assert.ok(canI('list', 'pods', multusServiceAccount));
		const check = JSON.parse((await runPlugin(['doctor', '--check', '-o', 'json'])).stdout);
		assert.equal(check.verdict, 'problem');
		assert.equal(check.multus.perNodeCertificates, true);
		assert.ok(check.codes.some((entry: {code: string}) => entry.code === 'MULTUS-BIND-005'), 'per-node identity, by its code');
		assert.match(check.multus.user, /^system:multus:node-\d+$/);
		assert.deepEqual(check.multus.groups, ['system:multus', 'system:authenticated']);
		assert.deepEqual(ownRoles(check).map(role => ({name: role.name, bindings: role.bindings})), [
			{name: 'multus', bindings: [{binding: 'multus-group', via: 'Group system:multus'}]},
		]);
		assert.deepEqual(check.findings.accessReview, {list: false, watch: false});
		assert.ok(check.findings.logs.users.every((user: string) => /^system:multus:node-\d+$/.test(user)), check.findings.logs.users.join(', '));
		assert.ok(check.findings.logs.count > 0);
		assert.equal(check.plan.clusterRole, 'multus');

		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor', '--yes', '-o', 'json']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.verdict, 'fixed');
		assert.deepEqual(report.verification.accessReview, {list: true, watch: true});
		assert.equal(report.verification.logs.state, 'clean');
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
		for (const verb of ['list', 'watch']) {
			const answer = kubectl(['auth', 'can-i', verb, 'pods', '--all-namespaces', '--as=system:multus:node-000000', '--as-group=system:multus']).trim();
			assert.equal(answer, 'yes');
		}
	});
});

describe('doctor --emit', () => {
	test('--emit manifest on a Helm-managed role (rke2-thick): the whole ClusterRole, nothing changed (exit 1); kubectl apply -f - fixes it', async t => {
		applyScenario('rke2-thick');
		t.after(() => deleteScenario('rke2-thick'));
		const user = multusServiceAccount;
		const before = snapshot('rke2-multus', 'kube-system', 'rke2-multus');
		const result = await runPlugin(['doctor', '--emit', 'manifest']);
		assert.equal(result.code, 1, result.stderr);
		assert.match(result.stderr, /ClusterRole rke2-multus: adds pods \[""\]: list, watch\. Nothing was changed; apply with kubectl apply -f FILE/);
		assert.match(result.stderr, /managed by HelmChart rke2-multus/);
		assertUnchanged(before, snapshot('rke2-multus', 'kube-system', 'rke2-multus'));
		const {parse} = await import('yaml');
		const manifest = parse(result.stdout);
		assert.deepEqual(Object.keys(manifest), ['apiVersion', 'kind', 'metadata', 'rules']);
		assert.deepEqual(manifest.metadata, {
			name: 'rke2-multus',
			labels: {'app.kubernetes.io/managed-by': 'Helm'},
			annotations: {'meta.helm.sh/release-name': 'rke2-multus', 'meta.helm.sh/release-namespace': 'kube-system'},
		});
		assert.deepEqual(manifest.rules, [...before.rules, podsListWatch]);
		assert.ok(!canI('list', 'pods', user));

		kubectl(['apply', '-f', '-'], result.stdout);
		assert.ok(canI('list', 'pods', user));
		assert.ok(canI('watch', 'pods', user));
		const after = kubectlJson(['get', 'clusterrole', 'rke2-multus']);
		assert.deepEqual(after.rules, [...before.rules, podsListWatch]);
		assert.equal(after.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
		const again = await runPlugin(['doctor', '--emit', 'manifest']);
		assert.equal(again.code, 0, again.stderr);
		assert.equal(again.stdout, '');
	});

	test('--emit patch on broken-thick: the rule ops as JSON, nothing changed (exit 1); kubectl patch --type=json fixes it', async t => {
		applyScenario('broken-thick');
		t.after(() => deleteScenario('broken-thick'));
		const user = multusServiceAccount;
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor', '--emit', 'patch']);
		assert.equal(result.code, 1, result.stderr);
		assert.match(result.stderr, /apply with kubectl patch clusterrole multus --type=json --patch-file FILE/);
		assert.deepEqual(JSON.parse(result.stdout), [{op: 'add', path: '/rules/-', value: podsListWatch}]);
		assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));

		const file = path.join(mkdtempSync(path.join(tmpdir(), 'emit-')), 'multus-patch.json');
		writeFileSync(file, result.stdout);
		kubectl(['patch', 'clusterrole', 'multus', '--type=json', '--patch-file', file]);
		assert.ok(canI('list', 'pods', user));
		assert.ok(canI('watch', 'pods', user));
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.deepEqual(after.rules, [...before.rules, podsListWatch]);
		assert.equal(after.annotations['kubectl-multus.dev/change'], undefined, 'no change record in an emitted patch');
	});

	test('--emit with a bad value, or with --yes, --dry-run or -o: usage error (exit 2)', async () => {
		for (const args of [['--emit', 'yaml'], ['--emit', 'patch', '--yes'], ['--emit', 'manifest', '--dry-run'], ['--emit', 'patch', '-o', 'json']]) {
			const result = await runPlugin(['doctor', ...args]);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
			assert.match(result.stderr, /--emit/);
		}
	});
});
