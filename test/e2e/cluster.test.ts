// The local cluster itself: real RBAC decisions, real DaemonSet rollouts on kwok nodes, real `kubectl logs`.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {applyScenario, deleteScenario, kubectl, kubectlJson, podLog as logOf, waitFor, multusServiceAccount as multus} from '../helpers/cluster.js';

/** The Multus container's log, or undefined while kubectl cannot read it yet. */
function podLog(pod: string): string | undefined {
	return logOf('kube-system', pod, 'kube-multus');
}

function sar(verb: string): boolean {
	const review = JSON.parse(
		kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify({
			apiVersion: 'authorization.k8s.io/v1',
			kind: 'SubjectAccessReview',
			spec: {user: multus, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'], resourceAttributes: {verb, resource: 'pods'}},
		})),
	);
	return review.status.allowed === true;
}

describe('local cluster', () => {
	after(() => deleteScenario('healthy-thick'));

	test('broken-thick: the multus ServiceAccount cannot list or watch pods cluster-wide, and its pods log the forbidden error', async () => {
		applyScenario('broken-thick');
		assert.equal(sar('list'), false);
		assert.equal(sar('watch'), false);
		assert.equal(sar('get'), true);
		const pod = kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items[0].metadata.name;
		// Inside client-go's structured err="..." (v0.32 and later) the message's quotes are escaped.
		const log = await waitFor('forbidden line in kubectl logs', () => {
			const text = podLog(pod);
			return text && /cannot list resource \\?"pods\\?"/.test(text) && text;
		});
		assert.match(log, /pods is forbidden: User \\?"system:serviceaccount:kube-system:multus\\?" cannot list resource \\?"pods\\?" in API group \\?"\\?" at the cluster scope/);
		assert.match(log, /multus-daemon started/);
		deleteScenario('broken-thick');
	});

	test('healthy-thick: list and watch allowed, clean logs', async () => {
		applyScenario('healthy-thick');
		assert.equal(sar('list'), true);
		assert.equal(sar('watch'), true);
		const pod = kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items[0].metadata.name;
		// The daemon serves once its start-up waited for every informer cache: with the caches synced, at once.
		const log = await waitFor('the readiness line in kubectl logs', () => {
			const text = podLog(pod);
			return text?.includes('API readiness check done!') && text;
		});
		assert.doesNotMatch(log, /forbidden|failed to sync/);
	});

	test('a restart of kube-multus-ds replaces every pod on every node, all Ready', async () => {
		const before = kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items;
		const nodes = kubectlJson(['get', 'nodes']).items.map((n: any) => n.metadata.name).sort();
		assert.equal(before.length, nodes.length);
		kubectl(['-n', 'kube-system', 'rollout', 'restart', 'ds/kube-multus-ds']);
		kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=120s']);
		const oldNames = new Set(before.map((p: any) => p.metadata.name));
		const afterPods = await waitFor('old pods gone', () => {
			const items = kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items;
			return items.length === nodes.length && items.every((p: any) => !oldNames.has(p.metadata.name)) && items;
		});
		assert.deepEqual(afterPods.map((p: any) => p.spec.nodeName).sort(), nodes);
		for (const pod of afterPods) {
			assert.equal(pod.status.conditions.find((c: any) => c.type === 'Ready')?.status, 'True', `${pod.metadata.name} Ready`);
		}
	});
});
