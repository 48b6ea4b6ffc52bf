// Writes whose answer never comes back: an HTTPS proxy between the doctor and the real API server forwards the
// ClusterRole patch (or the DaemonSet restart), lets the server apply it, and closes the doctor's connection
// instead of passing the answer on; or closes it before the write reaches the server. The doctor must read the
// object back and go on without writing twice. Each test asserts the exit code, what the user reads, what the
// proxy saw the doctor send, and the cluster afterwards.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {applyScenario, canI, kubectlJson, runPlugin, snapshot} from '../helpers/cluster.js';
import {losingProxy, type LosingProxy, type RequestSeen} from '../helpers/apiservers.js';
import {kubeconfigWith, realCluster} from '../helpers/faults.js';

const multus = 'system:serviceaccount:kube-system:multus';
const podsListWatch = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};
const rolePath = '/apis/rbac.authorization.k8s.io/v1/clusterroles/multus';
const dsPath = '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-multus-ds';

/** A real write of `path` (not the server-side dry run the doctor sends first). */
const write = (path: string) => (method: string, url: string) => method === 'PATCH' && url.startsWith(`${path}?`) && !url.includes('dryRun=');
const isWrite = (path: string) => (request: RequestSeen) => write(path)(request.method, request.url);
const isRead = (path: string) => (request: RequestSeen) => request.method === 'GET' && (request.url === path || request.url.startsWith(`${path}?`));

/** A sentence as printed: wrapped anywhere between words. */
function phrase(text: string): RegExp {
	return new RegExp(text.split(' ').map(word => word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('\\s+'));
}

async function doctorThrough(proxy: LosingProxy): Promise<{code: number | null; output: string}> {
	const real = realCluster();
	const config = kubeconfigWith({server: proxy.url, 'certificate-authority': real.certificateAuthority}, real.adminUser);
	const result = await runPlugin(['doctor', '--yes', '--kubeconfig', config]);
	return {code: result.code, output: result.stdout + result.stderr};
}

function assertFixedOnce(before: ReturnType<typeof snapshot>): void {
	const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
	assert.deepEqual(after.rules, [...before.rules, podsListWatch], 'the rule added exactly once');
	const record = JSON.parse(after.annotations['kubectl-multus.dev/change']);
	assert.deepEqual(record.added, [podsListWatch]);
	assert.deepEqual(JSON.parse(after.annotations['kubectl-multus.dev/previous-rules']), before.rules, 'undo would restore the rules from before the doctor');
	assert.equal(after.generation, before.generation + 1, 'restarted exactly once');
	const ds = kubectlJson(['-n', 'kube-system', 'get', 'ds', 'kube-multus-ds']);
	assert.equal(ds.status.updatedNumberScheduled, ds.status.desiredNumberScheduled, 'rolled out');
	assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));
}

describe('a write whose answer is lost', () => {
	const target = new URL(realCluster().server).host;

	test('the ClusterRole patch lands and its answer is lost: read back, counted as applied, not sent again; fixed (exit 0)', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const proxy = await losingProxy(target, write(rolePath), 'answer');
		t.after(() => proxy.close());
		const {code, output} = await doctorThrough(proxy);
		assert.equal(code, 0, output);
		const requests = proxy.requests();
		const patches = requests.filter(isWrite(rolePath));
		assert.equal(patches.length, 1, `one patch sent:\n${JSON.stringify(requests, null, 1)}`);
		assert.equal(patches[0]!.fate, 'answer-lost');
		assert.equal(patches[0]!.status, 200, 'the API server applied it');
		assert.ok(requests.slice(requests.indexOf(patches[0]!)).some(isRead(rolePath)), 'the role was read back');
		assert.match(output, phrase('The patch of ClusterRole multus got no answer ('));
		assert.match(output, phrase("reading the role back to see whether it landed."));
		assert.match(output, phrase("carries this run's change record and the added rules"));
		assert.match(output, phrase('the patch landed; only its answer was lost.'));
		assert.match(output, /✔ patched ClusterRole multus/);
		assert.match(output, /^Fixed: /m);
		assertFixedOnce(before);
	});

	test('the ClusterRole patch is lost before it reaches the server: read back unchanged, sent again, applied once; fixed (exit 0)', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const proxy = await losingProxy(target, write(rolePath), 'request');
		t.after(() => proxy.close());
		const {code, output} = await doctorThrough(proxy);
		assert.equal(code, 0, output);
		const requests = proxy.requests();
		const patches = requests.filter(isWrite(rolePath));
		assert.deepEqual(patches.map(p => p.fate), ['request-lost', 'forwarded'], JSON.stringify(requests, null, 1));
		assert.equal(patches[1]!.status, 200);
		const between = requests.slice(requests.indexOf(patches[0]!), requests.indexOf(patches[1]!));
		assert.ok(between.some(isRead(rolePath)), 'read back before sending again');
		assert.match(output, phrase(`ClusterRole multus is unchanged (resourceVersion ${before.resourceVersion}): the patch did not land; sending it again (it is guarded by that resourceVersion, so it cannot apply twice).`));
		assert.match(output, /^Fixed: /m);
		assertFixedOnce(before);
	});

	test('the DaemonSet restart lands and its answer is lost: read back, not restarted twice; rolled out and fixed (exit 0)', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const proxy = await losingProxy(target, write(dsPath), 'answer');
		t.after(() => proxy.close());
		const {code, output} = await doctorThrough(proxy);
		assert.equal(code, 0, output);
		const requests = proxy.requests();
		const restarts = requests.filter(isWrite(dsPath));
		assert.equal(restarts.length, 1, `one restart sent:\n${JSON.stringify(requests, null, 1)}`);
		assert.equal(restarts[0]!.fate, 'answer-lost');
		assert.equal(restarts[0]!.status, 200, 'the API server applied it');
		assert.ok(requests.slice(requests.indexOf(restarts[0]!)).some(isRead(dsPath)), 'the DaemonSet was read back');
		assert.match(output, phrase('The restart of DaemonSet kube-system/kube-multus-ds got no answer ('));
		assert.match(output, phrase('the restart landed; only its answer was lost.'));
		assert.match(output, /successfully rolled out/);
		assert.match(output, /^Fixed: /m);
		assertFixedOnce(before);
		const restartedAt = kubectlJson(['-n', 'kube-system', 'get', 'ds', 'kube-multus-ds']).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
		assert.match(output, phrase(`pod template carries restartedAt ${restartedAt}`));
		for (const pod of kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items) {
			assert.ok(!before.pods.includes(pod.metadata.name), `${pod.metadata.name} replaced`);
		}
	});
});
