import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1DaemonSet} from '@kubernetes/client-node';
import {MultusError} from '../../../source/errors.js';
import {watchUntil, type WatchUntilOptions} from '../../../source/kube/watch.js';
import {FakeCluster} from '../../helpers/fake-cluster.js';
import {multusDaemonSet} from '../../helpers/fake-multus.js';

const path = '/apis/apps/v1/namespaces/kube-system/daemonsets';
const ready = (ds: V1DaemonSet) => ds.metadata?.labels?.['ready'] === 'yes';

function setup() {
	const cluster = new FakeCluster().addDaemonSet(multusDaemonSet(3));
	const ds = cluster.daemonSet('kube-system', 'kube-multus-ds')!;
	const seen: string[] = [];
	const resumes: number[] = [];
	const controller = new AbortController();
	const options = (overrides: Partial<WatchUntilOptions<V1DaemonSet>> = {}): WatchUntilOptions<V1DaemonSet> => ({
		path,
		name: 'kube-multus-ds',
		initial: structuredClone(ds),
		relist: async () => {
			const listed = await cluster.listDaemonSetByName('kube-system', 'kube-multus-ds');
			return {object: listed.daemonSet, resourceVersion: listed.resourceVersion};
		},
		settled: ready,
		onChange: object => seen.push(object.metadata?.resourceVersion ?? ''),
		onResume: count => resumes.push(count),
		timeoutMs: 2000,
		signal: controller.signal,
		retryDelayMs: () => 0,
		...overrides,
	});
	/** Changes the stored DaemonSet as a controller would, once the watch is open. */
	const change = (labels: Record<string, string>) => cluster.updateDaemonSet(ds, d => {
		d.metadata!.labels = {...d.metadata!.labels, ...labels};
	});
	const opened = async (count = 1) => {
		while (cluster.callsOf('watch').length < count || cluster.openWatches() === 0) await new Promise(resolve => setImmediate(resolve));
	};
	return {cluster, ds, seen, resumes, controller, options, change, opened};
}

describe('watchUntil', () => {
	test('settles on the first version that satisfies the condition; the watch is closed', async () => {
		const {cluster, options, change, opened, seen} = setup();
		const waiting = watchUntil(cluster, options());
		await opened();
		change({step: '1'});
		change({ready: 'yes'});
		const end = await waiting;
		assert.equal(end.type, 'settled');
		assert.equal(end.object.metadata?.labels?.['ready'], 'yes');
		assert.equal(seen.length, 2, 'the initial version and the one change before');
		assert.equal(cluster.openWatches(), 0);
		assert.equal(cluster.callsOf('watch')[0]![1] instanceof Object && (cluster.callsOf('watch')[0]![1] as {fieldSelector: string}).fieldSelector, 'metadata.name=kube-multus-ds');
	});

	test('an initial version that already satisfies it settles without a watch', async () => {
		const {cluster, options, ds} = setup();
		ds.metadata!.labels = {ready: 'yes'};
		const end = await watchUntil(cluster, options({initial: structuredClone(ds)}));
		assert.equal(end.type, 'settled');
		assert.equal(cluster.callsOf('watch').length, 0);
	});

	test('a dropped watch resumes from the last resourceVersion seen, and what changed meanwhile still arrives', async () => {
		const {cluster, options, change, opened, resumes} = setup();
		const waiting = watchUntil(cluster, options());
		await opened();
		change({step: '1'});
		const lastSeen = cluster.daemonSet('kube-system', 'kube-multus-ds')!.metadata!.resourceVersion;
		await new Promise(resolve => setImmediate(resolve));
		cluster.dropWatches(new MultusError('Unreachable', 'connection reset'));
		change({ready: 'yes'});
		const end = await waiting;
		assert.equal(end.type, 'settled');
		assert.deepEqual(resumes, [1]);
		const second = cluster.callsOf('watch')[1]![1] as {resourceVersion: string};
		assert.equal(second.resourceVersion, lastSeen, 'resumed where it left off, not re-listed');
		assert.equal(cluster.callsOf('listDaemonSetByName').length, 0);
	});

	test('410 Gone: re-lists as a list of one and watches from the list\'s resourceVersion', async () => {
		const {cluster, options, change, opened, resumes} = setup();
		const waiting = watchUntil(cluster, options());
		await opened();
		change({step: '1'});
		cluster.compact();
		cluster.dropWatches(new MultusError('Gone', 'too old resource version', {status: 410}));
		await opened(2);
		change({ready: 'yes'});
		const end = await waiting;
		assert.equal(end.type, 'settled');
		assert.deepEqual(resumes, [1]);
		assert.equal(cluster.callsOf('listDaemonSetByName').length, 1);
		const second = cluster.callsOf('watch')[1]![1] as {resourceVersion: string};
		assert.ok(Number(second.resourceVersion) >= cluster.compactedBelow, 'from a resourceVersion the store still has');
	});

	test('a watch that starts from a compacted resourceVersion gets 410 and re-lists; a re-list that satisfies it settles', async () => {
		const {cluster, options, ds} = setup();
		const stale = structuredClone(ds);
		cluster.updateDaemonSet(ds, d => {
			d.metadata!.labels = {...d.metadata!.labels, ready: 'yes'};
		});
		cluster.compact();
		const end = await watchUntil(cluster, options({initial: stale}));
		assert.equal(end.type, 'settled');
		assert.equal(cluster.callsOf('listDaemonSetByName').length, 1);
	});

	test('an unreachable server is retried with a growing pause until it answers', async () => {
		const {cluster, options, change, opened} = setup();
		cluster.fault('watch', {error: new MultusError('Unreachable', 'connection refused')}, {times: 2});
		const delays: number[] = [];
		const waiting = watchUntil(cluster, options({retryDelayMs: attempt => (delays.push(attempt), 0)}));
		await opened(3);
		change({ready: 'yes'});
		assert.equal((await waiting).type, 'settled');
		assert.deepEqual(delays, [1, 2]);
	});

	test('deletion ends it, from the watch or from a re-list', async () => {
		const {cluster, options, opened} = setup();
		const waiting = watchUntil(cluster, options());
		await opened();
		cluster.deleteDaemonSet('kube-system', 'kube-multus-ds');
		assert.equal((await waiting).type, 'deleted');

		const again = setup();
		const before = again.options();
		again.cluster.deleteDaemonSet('kube-system', 'kube-multus-ds');
		again.cluster.compact();
		assert.equal((await watchUntil(again.cluster, before)).type, 'deleted');
		assert.equal(again.cluster.callsOf('listDaemonSetByName').length, 1);
	});

	test('the timeout ends it with the last version seen', async () => {
		const {cluster, options, change, opened} = setup();
		const waiting = watchUntil(cluster, options({timeoutMs: 20}));
		await opened();
		change({step: 'last'});
		const end = await waiting;
		assert.equal(end.type, 'timeout');
		assert.equal(end.object.metadata?.labels?.['step'], 'last');
		assert.equal(cluster.openWatches(), 0);
	});

	test('Ctrl-C ends it at once', async () => {
		const {cluster, options, opened, controller} = setup();
		const waiting = watchUntil(cluster, options({timeoutMs: 0}));
		await opened();
		controller.abort();
		assert.equal((await waiting).type, 'cancelled');
		assert.equal(cluster.openWatches(), 0);
	});

	test('a verdict that is an error rejects with it', async () => {
		const {cluster, options} = setup();
		const refusal = new MultusError('RolloutFailed', 'rollout status is only available for RollingUpdate strategy type');
		await assert.rejects(watchUntil(cluster, options({settled: () => refusal})), refusal);
	});
});
