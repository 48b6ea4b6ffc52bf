// The doctor against more than one API server on the cluster's etcd, each started by the test: a watch resumed
// from a resourceVersion that etcd has compacted away (410 Gone, from a real apiserver that serves watches from
// etcd), and an HA pair behind a TCP balancer whose member the doctor talks to is killed mid-rollout. What the
// doctor did is proven from the outside: the extra apiserver's audit log and the balancer's connection counts.
import assert from 'node:assert/strict';
import {describe, test, type TestContext} from 'node:test';
import {applyScenario, canI, snapshot, waitFor, multusServiceAccount as multus, podsListWatch} from '../helpers/cluster.js';
import {
	etcdBump,
	etcdCompact,
	etcdRevision,
	firstWatchEvent,
	startExtraApiserver,
	tcpBalancer,
	type AuditEvent,
	type ExtraApiserver,
} from '../helpers/apiservers.js';
import {adminKubeconfigVia, realCluster, sleep, slowRollout, startPlugin, type RunningPlugin} from '../helpers/faults.js';

const dsWatchPath = '/apis/apps/v1/namespaces/kube-system/daemonsets?watch=true&fieldSelector=metadata.name%3Dkube-multus-ds';

/** The doctor's requests about the Multus DaemonSet as one API server logged them, in the order it got them. */
function doctorDaemonSetRequests(apiserver: ExtraApiserver): Array<AuditEvent & {resourceVersion: number | undefined}> {
	const byId = new Map<string, AuditEvent>();
	for (const event of apiserver.audit()) {
		const agent = event.userAgent ?? '';
		// The doctor's reads (kubectl-multus/…), client-node's requests and its watches (sent with undici's fetch); never
		// the apiserver's own.
		if (agent !== 'undici' && !agent.startsWith('kubectl-multus/') && !agent.startsWith('kubernetes-client-javascript/')) continue;
		if (event.objectRef?.resource !== 'daemonsets' || event.objectRef.name !== 'kube-multus-ds') continue;
		// A watch is logged when its answer starts and again when it ends: one entry per request.
		byId.set(event.auditID, event);
	}
	return [...byId.values()]
		.sort((a, b) => a.requestReceivedTimestamp.localeCompare(b.requestReceivedTimestamp))
		.map(event => {
			const rv = new URL(event.requestURI, 'https://x').searchParams.get('resourceVersion');
			return {...event, resourceVersion: rv ? Number(rv) : undefined};
		});
}

function assertFixed(before: ReturnType<typeof snapshot>, stdout: string): void {
	assert.match(stdout, /daemon set "kube-multus-ds" successfully rolled out/);
	assert.match(stdout, /^Fixed: /m);
	const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
	assert.deepEqual(after.rules, [...before.rules, podsListWatch]);
	assert.equal(after.generation, before.generation + 1);
	for (const pod of after.pods) assert.ok(!before.pods.includes(pod), `${pod} replaced`);
	assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));
}

/** Seconds since the test started, in its diagnostics. */
function stopwatch(t: TestContext): (what: string) => void {
	const started = Date.now();
	return what => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
}

/**
 * broken-thick with a slow rollout (so that the fault hits the doctor while it watches), and an extra kube-apiserver
 * on the cluster's etcd, started meanwhile and stopped after the test.
 */
async function brokenWithExtraApiserver(t: TestContext, watchCache: boolean): Promise<{before: ReturnType<typeof snapshot>; apiserver: ExtraApiserver}> {
	const starting = startExtraApiserver({watchCache});
	t.after(async () => (await starting.catch(() => undefined))?.stop());
	applyScenario('broken-thick');
	await slowRollout('kube-system', 'kube-multus-ds', 4);
	const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
	return {before, apiserver: await starting};
}

/** `doctor --yes` through `server`, returned once its DaemonSet watch on `apiserver` is open and the rollout still runs. */
async function doctorWatchingMidRollout(t: TestContext, server: string, apiserver: ExtraApiserver, fault: string): Promise<RunningPlugin> {
	const doctor = startPlugin(['doctor', '--yes', '--kubeconfig', adminKubeconfigVia(server)]);
	let finished = false;
	void doctor.done.then(() => (finished = true));
	t.after(() => {
		if (!finished) doctor.signal('SIGKILL');
	});
	await doctor.waitForOutput(/\[8\/9\] Rollout/);
	await waitFor('the doctor\'s DaemonSet watch', () => doctorDaemonSetRequests(apiserver).some(r => r.verb === 'watch'), 30_000);
	await sleep(500);
	assert.doesNotMatch(doctor.output(), /successfully rolled out/, `the ${fault} must hit a rollout in progress`);
	return doctor;
}

/** The doctor went on after the fault: exit 0, its watch resumed, the install fixed. */
async function assertFinishedFixed(doctor: RunningPlugin, before: ReturnType<typeof snapshot>, mark: (what: string) => void): Promise<void> {
	const result = await doctor.done;
	mark(`doctor exited ${result.code}`);
	assert.equal(result.code, 0, result.stdout + result.stderr);
	assert.match(result.stdout, /\(watch resumed \d+×\)/);
	assertFixed(before, result.stdout);
}

describe('several API servers', () => {
	test('410 Gone on a resumed watch: etcd compacted past the watch\'s resourceVersion while the connection was down; the doctor re-reads the DaemonSet and finishes (exit 0)', async t => {
		const mark = stopwatch(t);
		// Watches served from etcd itself: the watch cache of the cluster's own apiserver would answer an old
		// resourceVersion from memory for a while, so a 410 there depends on timing.
		const {before, apiserver} = await brokenWithExtraApiserver(t, false);
		const proxy = await tcpBalancer([apiserver.address]);
		t.after(() => proxy.close());
		mark('extra apiserver (no watch cache) and proxy up');
		const doctor = await doctorWatchingMidRollout(t, proxy.url, apiserver, 'cut');

		// Down go the doctor's connections; new ones wait while etcd moves on and forgets the history before now.
		const cutAt = new Date().toISOString();
		proxy.cut({hold: true});
		await etcdBump();
		await etcdBump();
		const compacted = await etcdRevision();
		await etcdCompact(compacted);
		proxy.release();
		mark(`connections cut, etcd compacted at revision ${compacted}, connections let through again`);

		await assertFinishedFixed(doctor, before, mark);

		// From the outside: after the cut the doctor resumed its watch from a resourceVersion etcd no longer has
		// (a watch from RV starts at RV+1), then read the DaemonSet afresh: the 410 branch, not a plain resume.
		const requests = doctorDaemonSetRequests(apiserver).filter(r => r.requestReceivedTimestamp > cutAt);
		const resumed = requests.findIndex(r => r.verb === 'watch' && r.resourceVersion !== undefined && r.resourceVersion + 1 < compacted);
		assert.ok(resumed >= 0, `a watch resumed from before revision ${compacted}:\n${requests.map(r => `${r.verb} ${r.requestURI}`).join('\n')}`);
		const next = requests[resumed + 1];
		assert.ok(next && next.verb === 'list', `then a fresh list of the DaemonSet, not another watch from the same resourceVersion: ${next?.verb} ${next?.requestURI}`);
		const rewatch = requests[resumed + 2];
		assert.ok(rewatch?.verb === 'watch' && rewatch.resourceVersion !== undefined && rewatch.resourceVersion + 1 >= compacted, `then a watch from the list's resourceVersion, which etcd still has (no second 410): ${rewatch?.verb} ${rewatch?.requestURI}`);
		mark(`after the cut: ${requests.map(r => (r.verb === 'watch' ? `watch from ${r.resourceVersion}${r.resourceVersion! + 1 < compacted ? ' (410)' : ''}` : r.verb)).join(' → ')}`);
		// And that apiserver does answer a watch from that resourceVersion with 410 Gone.
		const answer = await firstWatchEvent(apiserver.url, `${dsWatchPath}&resourceVersion=${requests[resumed]!.resourceVersion}`);
		assert.equal(answer.type, 'ERROR');
		assert.equal(answer.object.code, 410, JSON.stringify(answer));
	});

	test('two API servers behind a balancer: the one the doctor is connected to is killed mid-rollout; the doctor fails over and finishes (exit 0)', async t => {
		const mark = stopwatch(t);
		const {before, apiserver: extra} = await brokenWithExtraApiserver(t, true);
		const own = new URL(realCluster().server).host;
		// The extra apiserver first: the doctor lands there; the cluster's own (which the controllers use) is the other.
		const balancer = await tcpBalancer([extra.address, own]);
		t.after(() => balancer.close());
		mark('second apiserver and balancer up');
		const doctor = await doctorWatchingMidRollout(t, balancer.url, extra, 'kill');
		assert.ok(balancer.connections(extra.address).open > 0, 'the doctor is connected to the extra apiserver');
		assert.equal(balancer.connections(own).total, 0, 'and only to it');

		await extra.kill();
		mark('the apiserver the doctor was connected to is killed');

		await assertFinishedFixed(doctor, before, mark);
		assert.ok(balancer.connections(own).total > 0, 'the doctor went on through the other apiserver');
	});
});
