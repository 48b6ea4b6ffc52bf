// Writes whose answer never comes back: an HTTPS proxy between the doctor and the real API server forwards the
// ClusterRole patch (or the DaemonSet restart), lets the server apply it, and closes the doctor's connection
// instead of passing the answer on; or closes it before the write reaches the server. The doctor must read the
// object back and go on without writing twice. Each test asserts the exit code, what the user reads, what the
// proxy saw the doctor send, and the cluster afterwards.
import assert from 'node:assert/strict';
import {describe, test, type TestContext} from 'node:test';
import {applyScenario, canI, kubectlJson, runPlugin, snapshot, multusServiceAccount as multus, podsListWatch} from '../helpers/cluster.js';
import {losingProxy, type RequestSeen} from '../helpers/apiservers.js';
import {adminKubeconfigVia, phrase, realCluster} from '../helpers/faults.js';

const rolePath = '/apis/rbac.authorization.k8s.io/v1/clusterroles/multus';
const dsPath = '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-multus-ds';

/** A real write of `path` (not the server-side dry run the doctor sends first). */
const write = (path: string) => (method: string, url: string) => method === 'PATCH' && url.startsWith(`${path}?`) && !url.includes('dryRun=');
const isWrite = (path: string) => (request: RequestSeen) => write(path)(request.method, request.url);
const isRead = (path: string) => (request: RequestSeen) => request.method === 'GET' && (request.url === path || request.url.startsWith(`${path}?`));

/** The real API server's host:port, where the proxies forward. */
const target = () => new URL(realCluster().server).host;

/**
 * broken-thick, then `doctor --yes` through a proxy that loses the request or the answer (`lose`) of the first real
 * write of `path`; the doctor must go on to exit 0. Returns the role before, the doctor's output and what the
 * proxy saw.
 */
async function doctorThroughLosingProxy(t: TestContext, path: string, lose: 'request' | 'answer'): Promise<{before: ReturnType<typeof snapshot>; output: string; requests: RequestSeen[]}> {
	applyScenario('broken-thick');
	const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
	const proxy = await losingProxy(target(), write(path), lose);
	t.after(() => proxy.close());
	const result = await runPlugin(['doctor', '--yes', '--kubeconfig', adminKubeconfigVia(proxy.url)]);
	const output = result.stdout + result.stderr;
	assert.equal(result.code, 0, output);
	return {before, output, requests: proxy.requests()};
}

/** The write of `path` was sent once, applied by the API server, its answer lost, and the object read back after it. */
function assertSentOnceAnswerLost(requests: RequestSeen[], path: string, names: {write: string; object: string}): void {
	const writes = requests.filter(isWrite(path));
	assert.equal(writes.length, 1, `one ${names.write} sent:\n${JSON.stringify(requests, null, 1)}`);
	assert.equal(writes[0]!.fate, 'answer-lost');
	assert.equal(writes[0]!.status, 200, 'the API server applied it');
	assert.ok(requests.slice(requests.indexOf(writes[0]!)).some(isRead(path)), `${names.object} was read back`);
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
	test('the ClusterRole patch lands and its answer is lost: read back, counted as applied, not sent again; fixed (exit 0)', async t => {
		const {before, output, requests} = await doctorThroughLosingProxy(t, rolePath, 'answer');
		assertSentOnceAnswerLost(requests, rolePath, {write: 'patch', object: 'the role'});
		assert.match(output, phrase('The patch of ClusterRole multus got no answer ('));
		assert.match(output, phrase("reading the role back to see whether it landed."));
		assert.match(output, phrase("carries this run's change record and the added rules"));
		assert.match(output, phrase('the patch landed; only its answer was lost.'));
		assert.match(output, /✔ patched ClusterRole multus/);
		assert.match(output, /^Fixed: /m);
		assertFixedOnce(before);
	});

	test('the ClusterRole patch is lost before it reaches the server: read back unchanged, sent again, applied once; fixed (exit 0)', async t => {
		const {before, output, requests} = await doctorThroughLosingProxy(t, rolePath, 'request');
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
		const {before, output, requests} = await doctorThroughLosingProxy(t, dsPath, 'answer');
		assertSentOnceAnswerLost(requests, dsPath, {write: 'restart', object: 'the DaemonSet'});
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
