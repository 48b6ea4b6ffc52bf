// `kubectl multus doctor` without a terminal, through kubectl's plugin mechanism, against the local cluster.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {applyScenario, canI, deleteScenario, kubectl, kubectlJson, runPlugin, snapshot, assertUnchanged, waitUntilAllowed, multusServiceAccount as multus, podsListWatch} from '../helpers/cluster.js';


describe('doctor on broken-thick', () => {
	after(() => deleteScenario('broken-thick'));
	test('--check diagnoses with three signals and changes nothing (exit 1)', async () => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor', '--check', '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.verdict, 'problem');
		assert.equal(report.multus.daemonSet, 'kube-multus-ds');
		assert.equal(report.multus.mode, 'thick');
		assert.equal(report.multus.user, multus);
		assert.equal(report.findings.logs.state, 'found');
		assert.ok(report.findings.logs.count > 0);
		assert.deepEqual(report.findings.logs.verbs, ['list']);
		assert.deepEqual(report.findings.accessReview, {list: false, watch: false});
		assert.deepEqual(report.findings.rules.missing, [podsListWatch]);
		assert.deepEqual(report.plan.add, [podsListWatch]);
		assert.equal(report.applied.clusterRole, null);
		// Each finding by its stable code (docs/findings.md): the pod informer's lines, both reviews, the missing rule.
		const codes = report.codes.map((entry: {code: string}) => entry.code);
		for (const code of ['MULTUS-LOG-001', 'MULTUS-RBAC-001', 'MULTUS-RBAC-002', 'MULTUS-RULE-010']) assert.ok(codes.includes(code), `${code} in ${codes.join(', ')}`);
		assert.deepEqual(report.findings.checks.filter((check: {status: string}) => check.status === 'fail').map((check: {code: string}) => check.code).slice(0, 3), ['MULTUS-LOG-001', 'MULTUS-RBAC-001', 'MULTUS-RBAC-002']);
		assert.equal(report.code, null);
		assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));
	});

	test('text output names the evidence, the diff and the verdict', async () => {
		const result = await runPlugin(['doctor', '--check']);
		assert.equal(result.code, 1);
		assert.match(result.stdout, /forbidden list line\(s\) in \d+ of \d+ sampled pod\(s\) {2}\[MULTUS-LOG-001\]/);
		assert.match(result.stdout, /cannot list pods at cluster scope {2}\[MULTUS-RBAC-001\]/);
		assert.match(result.stdout, /✖ rules: missing pods \[""\]: list, watch {2}\[MULTUS-RULE-010\]/);
		assert.match(result.stdout, /\+ pods \[""\]: list, watch/);
		assert.match(result.stdout, /"op":"test","path":"\/metadata\/resourceVersion"/);
		assert.match(result.stdout, /kubectl auth reconcile/);
		assert.doesNotMatch(result.stdout, /\u001B\[/, 'NO_COLOR and a pipe: no escapes');
	});

	for (const dryRun of ['--dry-run', '--dry-run=server', '--dry-run=client']) {
		test(`${dryRun} shows the change and changes nothing (exit 1)`, async () => {
			const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
			const result = await runPlugin(['doctor', dryRun, '-o', 'json']);
			assert.equal(result.code, 1, result.stderr);
			const report = JSON.parse(result.stdout);
			assert.equal(report.verdict, 'dry-run');
			// Preflight: every permission the fix uses, checked before asking; reading logs is the one optional one.
			assert.deepEqual(report.plan.permissions.map((p: any) => [p.permission.split(' (')[0], p.allowed, p.required]), [
				['patch ClusterRole multus', true, true],
				['patch DaemonSet kube-system/kube-multus-ds', true, true],
				['create subjectaccessreviews', true, true],
				['get pods/log in kube-system', true, false],
			]);
			assert.equal(report.plan.serverDryRun, dryRun === '--dry-run=server' ? 'passed' : report.plan.serverDryRun);
			assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));
		});
	}

	test('without a TTY and without --yes nothing changes (exit 1)', async () => {
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor']);
		assert.equal(result.code, 1);
		assert.match(result.stdout, /without a terminal, changes need --yes/);
		assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));
	});

	test('a caller who may not patch gets exit 4, the exact missing permission, and no change', async () => {
		kubectl(['create', 'clusterrole', 'e2e-reader', '--verb=get,list,watch', '--resource=daemonsets,clusterroles,clusterrolebindings,pods,pods/log,namespaces']);
		kubectl(['create', 'clusterrolebinding', 'e2e-reader', '--clusterrole=e2e-reader', '--user=jane']);
		kubectl(['create', 'clusterrole', 'e2e-sar', '--verb=create', '--resource=subjectaccessreviews.authorization.k8s.io']);
		kubectl(['create', 'clusterrolebinding', 'e2e-sar', '--clusterrole=e2e-sar', '--user=jane']);
		try {
			// Each role with its binding, as the authorizer sees them: else jane may lack more than the patch.
			await waitUntilAllowed('jane', ['list', 'daemonsets'], ['create', 'subjectaccessreviews.authorization.k8s.io']);
			const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
			const result = await runPlugin(['doctor', '--yes', '--as', 'jane']);
			assert.equal(result.code, 4, result.stdout + result.stderr);
			assert.match(result.stdout, /you lack permission to apply the fix: patch ClusterRole multus.* {2}\[MULTUS-CALLER-001\]$/m);
			assert.match(result.stdout, /clusterroles\.rbac\.authorization\.k8s\.io "multus": patch/);
			assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));
		} finally {
			kubectl(['delete', 'clusterrolebinding', 'e2e-reader', 'e2e-sar']);
			kubectl(['delete', 'clusterrole', 'e2e-reader', 'e2e-sar']);
		}
	});

	test('--yes -o json fixes it: only the missing verbs added, every pod replaced and Ready, verified (exit 0)', async () => {
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor', '--yes', '-o', 'json']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.verdict, 'fixed');
		assert.deepEqual(report.applied.clusterRole.added, ['pods [""]: list, watch']);
		assert.equal(report.applied.rollout.done, true);
		assert.equal(report.verification.passed, true);
		assert.deepEqual(report.verification.accessReview, {list: true, watch: true});
		assert.equal(report.verification.logs.state, 'clean');

		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		// The role differs from before only by the appended rule (and the change-record annotations).
		assert.deepEqual(after.rules, [...before.rules, podsListWatch]);
		assert.deepEqual(JSON.parse(after.annotations['kubectl-multus.dev/previous-rules']), before.rules);
		assert.ok(after.annotations['kubectl-multus.dev/change']);
		assert.ok(canI('list', 'pods', multus));
		assert.ok(canI('watch', 'pods', multus));
		// Restarted the way kubectl rollout restart does, and every pod was replaced.
		assert.equal(after.generation, before.generation + 1);
		assert.match(after.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		const pods = kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items;
		assert.equal(pods.length, before.pods.length);
		for (const pod of pods) {
			assert.ok(!before.pods.includes(pod.metadata.name), `${pod.metadata.name} is new`);
			assert.equal(pod.metadata.labels['pod-template-generation'], String(after.generation));
			assert.equal(pod.status.conditions.find((c: any) => c.type === 'Ready')?.status, 'True');
		}
	});

	test('a second run finds it healthy and changes nothing (exit 0)', async () => {
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor', '--yes']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		assert.match(result.stdout, /Healthy/);
		assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));
	});
});

describe('doctor on healthy installs', () => {
	for (const scenario of ['healthy-thick', 'thin']) {
		test(`${scenario}: reported healthy, no change offered (exit 0)`, async t => {
			applyScenario(scenario);
			t.after(() => deleteScenario(scenario));
			const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
			const result = await runPlugin(['doctor', '--yes', '-o', 'yaml']);
			assert.equal(result.code, 0, result.stdout + result.stderr);
			assert.match(result.stdout, /^verdict: healthy$/m);
			assert.match(result.stdout, /^plan: null$/m);
			assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));
		});
	}
});

describe('doctor on other flavours', () => {
	test('ServiceAccount in another namespace with a decoy binding: fixes the role actually bound (exit 0)', async t => {
		applyScenario('elsewhere-thick');
		t.after(() => deleteScenario('elsewhere-thick'));
		const check = JSON.parse((await runPlugin(['doctor', '--check', '-o', 'json'])).stdout);
		assert.equal(check.multus.namespace, 'multus-system');
		assert.deepEqual(check.multus.clusterRoles.filter((r: any) => !r.name.startsWith('system:')).map((r: any) => r.name), ['multus-cni-daemon']);
		assert.match(check.multus.warnings.join('\n'), /multus-decoy binds multus-decoy-full to ServiceAccount other-namespace:multus-daemon/);
		assert.match(check.codes.find((entry: {code: string}) => entry.code === 'MULTUS-BIND-001')?.details.join('\n') ?? '', /multus-decoy binds multus-decoy-full/);
		const decoyBefore = kubectlJson(['get', 'clusterrole', 'multus-decoy-full']).metadata.resourceVersion;
		const result = await runPlugin(['doctor', '--yes', '-n', 'multus-system']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		assert.ok(canI('list', 'pods', 'system:serviceaccount:multus-system:multus-daemon'));
		assert.equal(kubectlJson(['get', 'clusterrole', 'multus-decoy-full']).metadata.resourceVersion, decoyBefore);
	});

	test('RKE2 chart names, managed by Helm: not patched without --force, guidance given (exit 1); --force fixes it', async t => {
		applyScenario('rke2-thick');
		t.after(() => deleteScenario('rke2-thick'));
		const before = snapshot('rke2-multus', 'kube-system', 'rke2-multus');
		const refused = await runPlugin(['doctor', '--yes']);
		assert.equal(refused.code, 1);
		assert.match(refused.stdout, /managed by HelmChart rke2-multus.* {2}\[MULTUS-OWNER-001\]/);
		assert.match(refused.stdout, /HelmChartConfig/);
		assertUnchanged(before, snapshot('rke2-multus', 'kube-system', 'rke2-multus'));
		const forced = await runPlugin(['doctor', '--yes', '--force']);
		assert.equal(forced.code, 0, forced.stdout + forced.stderr);
		assert.deepEqual(snapshot('rke2-multus', 'kube-system', 'rke2-multus').rules, [...before.rules, podsListWatch]);
	});
});

describe('doctor: bad input', () => {
	test('no Multus installed: says so, exit 1', async () => {
		const result = await runPlugin(['doctor', '--check']);
		assert.equal(result.code, 1);
		assert.match(result.stdout, /no Multus DaemonSet found.* {2}\[MULTUS-FIND-001\]/);
	});

	test('unknown context: names it and the known ones, exit 3', async () => {
		const result = await runPlugin(['doctor', '--context', 'nope']);
		assert.equal(result.code, 3);
		assert.match(result.stdout + result.stderr, /context "nope" not found/);
	});

	test('missing kubeconfig: exit 3 with the fix', async () => {
		const result = await runPlugin(['doctor', '--kubeconfig', '/nonexistent/config']);
		assert.equal(result.code, 3);
		assert.match(result.stdout + result.stderr, /no kubeconfig found/);
	});

	test('unknown namespace: exit 2', async () => {
		const result = await runPlugin(['doctor', '-n', 'does-not-exist']);
		assert.equal(result.code, 2);
		assert.match(result.stdout + result.stderr, /namespace "does-not-exist" does not exist/);
	});

	test('bad flag values: exit 2', async () => {
		for (const args of [['doctor', '-o', 'xml'], ['doctor', '--timeout', 'soon'], ['doctor', '--dry-run=maybe'], ['doctor', '--bogus'], ['frobnicate']]) {
			const result = await runPlugin(args);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.ok(result.stderr.length > 0, `${args.join(' ')} explains itself`);
		}
	});

	test('unreachable server: exit 3', async () => {
		const net = await import('node:net');
		const port = await new Promise<number>(resolve => {
			const server = net.createServer().listen(0, '127.0.0.1', () => {
				const {port} = server.address() as {port: number};
				server.close(() => resolve(port));
			});
		});
		const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster: {server: "https://127.0.0.1:${port}"}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n- name: dead\n  context: {cluster: dead, user: u}\ncurrent-context: dead\n`;
		const {writeFileSync, mkdtempSync} = await import('node:fs');
		const {tmpdir} = await import('node:os');
		const path = `${mkdtempSync(`${tmpdir()}/kubeconfig-`)}/config`;
		writeFileSync(path, kubeconfig);
		const result = await runPlugin(['doctor', '--kubeconfig', path, '--request-timeout', '3s']);
		assert.equal(result.code, 3);
		assert.match(result.stdout, new RegExp(`cannot connect to the API server at https://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
		assert.match(result.stdout, /Nothing in the cluster was changed/);
	});
});
