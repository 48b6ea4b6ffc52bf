// Issue 12 item 2: the fix never widens access for other subjects. The role Multus would get its rules in is bound
// to default:webapp too; the doctor leaves it alone and gives Multus a ClusterRole and binding of its own, which
// undo removes again.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {after, describe, test} from 'node:test';
import {applyScenario, createSharedPodsRole, deleteScenario, kubectl, kubectlJson, kubectlPath, multusServiceAccount, runPlugin, testEnv, waitFor} from '../helpers/cluster.js';

const webapp = 'system:serviceaccount:default:webapp';
const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';

/** `kubectl auth can-i VERB pods -A --as USER`. */
function can(user: string, verb: string): boolean {
	return spawnSync(kubectlPath, ['auth', 'can-i', verb, 'pods', '-A', `--as=${user}`], {env: testEnv, encoding: 'utf8'}).stdout.trim() === 'yes';
}

function exists(kind: string, name: string): boolean {
	return spawnSync(kubectlPath, ['get', kind, name], {env: testEnv, encoding: 'utf8'}).status === 0;
}

describe('a role Multus shares with another subject (aaa-shared-pods)', () => {
	after(() => {
		kubectl(['delete', 'clusterrole,clusterrolebinding', 'aaa-shared-pods', dedicated, '--ignore-not-found']);
		deleteScenario('broken-thick');
	});

	test('doctor --yes fixes Multus without giving webapp anything; undo takes Multus\'s own role away again', async () => {
		applyScenario('broken-thick');
		// Sorted first and already about pods: the role the doctor would patch.
		createSharedPodsRole();
		await waitFor('webapp may get pods', () => can(webapp, 'get'));
		assert.equal(can(webapp, 'watch'), false);
		const shared = JSON.stringify(kubectlJson(['get', 'clusterrole', 'aaa-shared-pods']).rules);

		// As files: a manifest of both new objects; no patch, since no role is patched.
		const manifest = await runPlugin(['doctor', '--emit', 'manifest']);
		assert.equal(manifest.code, 1, manifest.stderr);
		assert.match(manifest.stdout, /kind: ClusterRole\n[\s\S]*name: kubectl-multus:kube-system:kube-multus-ds[\s\S]*---\n[\s\S]*kind: ClusterRoleBinding[\s\S]*name: multus\n\s+namespace: kube-system\n/);
		assert.doesNotMatch(manifest.stdout, /webapp/);
		const patch = await runPlugin(['doctor', '--emit', 'patch']);
		assert.equal(patch.code, 1);
		assert.equal(patch.stdout, '');
		assert.match(patch.stderr, /the fix is a new ClusterRole kubectl-multus:kube-system:kube-multus-ds and ClusterRoleBinding for the Multus identity alone, not a patch/);
		assert.equal(exists('clusterrole', dedicated), false, '--emit creates nothing');

		const result = await runPlugin(['doctor', '--yes'], {timeoutMs: 300_000});
		assert.equal(result.code, 0, result.stdout + result.stderr);
		assert.equal(can(multusServiceAccount, 'watch'), true);
		assert.equal(can(webapp, 'watch'), false, 'webapp gained nothing');
		assert.equal(can(webapp, 'list'), false);
		assert.match(result.stdout, /ClusterRole aaa-shared-pods is also bound to ServiceAccount default:webapp \(ClusterRoleBinding aaa-shared-pods\): not patched, so they gain nothing/);
		assert.match(result.stdout, /granted to: ServiceAccount kube-system:multus \(ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds\)/);
		assert.match(result.stdout, /created ClusterRole kubectl-multus:kube-system:kube-multus-ds and ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds/);
		assert.match(result.stdout, /Fixed: /);
		assert.equal(JSON.stringify(kubectlJson(['get', 'clusterrole', 'aaa-shared-pods']).rules), shared, 'the shared role is untouched');
		const binding = kubectlJson(['get', 'clusterrolebinding', dedicated]);
		assert.deepEqual(binding.subjects, [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}]);
		assert.equal(binding.metadata.labels['app.kubernetes.io/managed-by'], 'kubectl-multus');

		const undo = await runPlugin(['undo', '--yes']);
		assert.equal(undo.code, 0, undo.stdout + undo.stderr);
		assert.match(undo.stdout, /Deleted ClusterRole kubectl-multus:kube-system:kube-multus-ds and ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds/);
		assert.equal(exists('clusterrole', dedicated), false);
		assert.equal(exists('clusterrolebinding', dedicated), false);
		await waitFor('Multus may no longer watch pods', () => !can(multusServiceAccount, 'watch'));
		assert.equal(can(webapp, 'watch'), false);
		assert.equal(JSON.stringify(kubectlJson(['get', 'clusterrole', 'aaa-shared-pods']).rules), shared);
	});
});
