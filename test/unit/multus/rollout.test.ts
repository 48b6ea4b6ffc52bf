import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1DaemonSet, V1DaemonSetStatus, V1Pod} from '@kubernetes/client-node';
import fc from 'fast-check';
import {
	daemonSetRolloutStatus,
	podNotReadyReason,
	podTemplateGeneration,
	rolloutCadence,
	rolloutProgress,
	summarisePod,
	type PodSummary,
} from '../../../source/multus/rollout.js';

function daemonSet(status: Partial<V1DaemonSetStatus>, options: {generation?: number; template?: string; strategy?: string} = {}): V1DaemonSet {
	return {
		metadata: {
			name: 'kube-multus-ds',
			generation: options.generation ?? 2,
			annotations: options.template ? {'deprecated.daemonset.template.generation': options.template} : {},
		},
		spec: {selector: {}, template: {}, updateStrategy: {type: options.strategy ?? 'RollingUpdate'}},
		status: {currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 2, ...status} as V1DaemonSetStatus,
	};
}

function pod(name: string, node: string | undefined, generation: string, state: 'ready' | 'creating' | 'unschedulable' | 'terminating' | 'running'): V1Pod {
	return {
		metadata: {
			name,
			labels: {'pod-template-generation': generation},
			...(state === 'terminating' ? {deletionTimestamp: new Date()} : {}),
		},
		spec: {
			containers: [],
			...(node ? {nodeName: node} : {}),
			affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: 'metadata.name', operator: 'In', values: ['pinned-node']}]}]}}},
		},
		status: {
			phase: state === 'unschedulable' || state === 'creating' ? 'Pending' : 'Running',
			conditions: [
				...(state === 'unschedulable'
					? [{type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/4 nodes are available: 1 Insufficient cpu. preemption: not eligible.'}]
					: []),
				{type: 'Ready', status: state === 'ready' ? 'True' : 'False'},
			],
			containerStatuses: state === 'creating' ? [{name: 'kube-multus', image: '', imageID: '', ready: false, restartCount: 0, state: {waiting: {reason: 'ContainerCreating'}}}] : [],
		},
	};
}

describe('daemonSetRolloutStatus: kubectl rollout status, word for word', () => {
	test('OnDelete is an error, as kubectl returns it', () => {
		assert.equal(daemonSetRolloutStatus(daemonSet({desiredNumberScheduled: 3}, {strategy: 'OnDelete'})).error, 'rollout status is only available for RollingUpdate strategy type');
	});

	test('waits for the controller to observe the new generation before reading any count', () => {
		const status = daemonSetRolloutStatus(daemonSet({desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, observedGeneration: 1}));
		assert.deepEqual(status, {message: 'Waiting for daemon set spec update to be observed...', done: false, error: undefined});
	});

	test('then updated pods, then available pods; numberReady is ignored', () => {
		assert.equal(
			daemonSetRolloutStatus(daemonSet({desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 3, numberReady: 3})).message,
			'Waiting for daemon set "kube-multus-ds" rollout to finish: 1 out of 3 new pods have been updated...',
		);
		assert.equal(
			daemonSetRolloutStatus(daemonSet({desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2, numberReady: 3})).message,
			'Waiting for daemon set "kube-multus-ds" rollout to finish: 2 of 3 updated pods are available...',
		);
		assert.deepEqual(daemonSetRolloutStatus(daemonSet({desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberReady: 0})), {
			message: 'daemon set "kube-multus-ds" successfully rolled out',
			done: true,
			error: undefined,
		});
	});
});

describe('podTemplateGeneration', () => {
	test('is the template annotation, which falls behind metadata.generation after non-template changes', () => {
		assert.equal(podTemplateGeneration(daemonSet({}, {generation: 5, template: '3'})), '3');
		assert.equal(podTemplateGeneration(daemonSet({}, {generation: 5})), '5');
	});
});

describe('summarisePod', () => {
	test('a new ready pod is done and has no reason', () => {
		assert.deepEqual(summarisePod(pod('p1', 'node-1', '2', 'ready'), '2'), {name: 'p1', node: 'node-1', cell: 'done', reason: undefined});
	});

	test('a new pod not ready says why in kubectl words: waiting reason, or the scheduler first sentence', () => {
		assert.deepEqual(summarisePod(pod('p1', 'node-1', '2', 'creating'), '2'), {name: 'p1', node: 'node-1', cell: 'new', reason: 'ContainerCreating'});
		const unscheduled = summarisePod(pod('p2', undefined, '2', 'unschedulable'), '2');
		assert.equal(unscheduled.node, 'pinned-node', 'an unscheduled DaemonSet pod is on the node its affinity pins');
		assert.equal(unscheduled.reason, 'Unschedulable: 0/4 nodes are available: 1 Insufficient cpu');
	});

	test('old pods, and new pods being deleted, are old', () => {
		assert.deepEqual(summarisePod(pod('p1', 'node-1', '1', 'ready'), '2'), {name: 'p1', node: 'node-1', cell: 'old', reason: 'old pod, not yet replaced'});
		assert.equal(summarisePod(pod('p1', 'node-1', '1', 'terminating'), '2').reason, 'old pod terminating');
		assert.equal(summarisePod(pod('p1', 'node-1', '2', 'terminating'), '2').cell, 'old');
	});

	test('a running pod that is not ready falls back to its phase', () => {
		assert.equal(podNotReadyReason(pod('p1', 'node-1', '2', 'running')), 'Running, not ready');
	});
});

describe('rolloutProgress', () => {
	const midway = daemonSet({desiredNumberScheduled: 4, updatedNumberScheduled: 2, numberAvailable: 3, numberReady: 3});
	const summaries: PodSummary[] = [
		summarisePod(pod('d', 'node-d', '1', 'ready'), '2'),
		summarisePod(pod('a', 'node-a', '2', 'ready'), '2'),
		summarisePod(pod('c', 'node-c', '1', 'terminating'), '2'),
		summarisePod(pod('b', 'node-b', '2', 'creating'), '2'),
	];

	test('with every pod: one cell per node in name order, and every pending node with its reason', () => {
		const progress = rolloutProgress(midway, {pods: summaries, complete: true});
		assert.deepEqual(progress.nodes, ['node-a', 'node-b', 'node-c', 'node-d']);
		assert.deepEqual(progress.cells, ['done', 'new', 'old', 'old']);
		assert.deepEqual(progress.counts, {done: 1, new: 1, old: 2});
		assert.equal(progress.byNode, true);
		assert.equal(progress.pendingTotal, 3);
		assert.deepEqual(progress.pending.map(p => `${p.node} ${p.reason}`), ['node-b ContainerCreating', 'node-c old pod terminating', 'node-d old pod, not yet replaced']);
		assert.deepEqual([progress.desired, progress.updated, progress.ready, progress.available], [4, 2, 3, 3]);
	});

	test('pending nodes in flight come first: new pods not ready, then old ones terminating, then old ones', () => {
		const sample = [
			summarisePod(pod('x', 'node-a', '1', 'ready'), '2'),
			summarisePod(pod('y', 'node-b', '1', 'terminating'), '2'),
			summarisePod(pod('z', 'node-z', '2', 'creating'), '2'),
		];
		assert.deepEqual(rolloutProgress(midway, {pods: sample, complete: false}).pending.map(p => p.node), ['node-z', 'node-b', 'node-a']);
	});

	test('the pending list stops at the limit; the total does not', () => {
		const progress = rolloutProgress(midway, {pods: summaries, complete: true}, 2);
		assert.equal(progress.pending.length, 2);
		assert.equal(progress.pendingTotal, 3);
	});

	test('with a sample: cells counted from the DaemonSet status (done, new, old), pending nodes from the sample', () => {
		const large = daemonSet({desiredNumberScheduled: 1000, updatedNumberScheduled: 300, numberAvailable: 900, numberReady: 900});
		const progress = rolloutProgress(large, {pods: summaries.filter(s => s.cell !== 'done'), complete: false});
		assert.equal(progress.byNode, false);
		assert.deepEqual([progress.cells, progress.nodes], [[], []]);
		// 100 unavailable: new pods not ready yet; 700 not updated: old.
		assert.deepEqual(progress.counts, {done: 200, new: 100, old: 700});
		assert.equal(progress.pendingTotal, 800);
		assert.deepEqual(progress.pending.map(p => p.node), ['node-b', 'node-c', 'node-d']);
	});

	test('a finished rollout counts every node done, with or without a sample', () => {
		const finished = daemonSet({desiredNumberScheduled: 500, updatedNumberScheduled: 500, numberAvailable: 500, numberReady: 500});
		const progress = rolloutProgress(finished, {pods: [], complete: false});
		assert.equal(progress.pendingTotal, 0);
		assert.deepEqual(progress.counts, {done: 500, new: 0, old: 0});
	});

	test('property: counts always add up to the desired nodes, and never count more done than available', () => {
		fc.assert(
			fc.property(fc.nat(2000), fc.nat(2500), fc.nat(2500), (desired, updated, available) => {
				const progress = rolloutProgress(daemonSet({desiredNumberScheduled: desired, updatedNumberScheduled: updated, numberAvailable: available}), {pods: [], complete: false});
				const {done, old} = progress.counts;
				assert.equal(done + progress.counts.new + old, desired);
				assert.ok(done <= Math.min(updated, available), `${done} done of ${updated} updated, ${available} available`);
				assert.equal(old, Math.max(0, desired - updated));
				assert.equal(progress.pendingTotal, desired - done);
			}),
		);
	});
});

describe('rolloutCadence: how often the view refreshes and the pods are looked at', () => {
	const at = (nodes: number) => rolloutCadence(daemonSet({desiredNumberScheduled: nodes}));

	test('node by node (up to 50 nodes) twice a second', () => {
		assert.deepEqual(at(3), {progressMs: 500, lookMs: 500});
		assert.deepEqual(at(50), {progressMs: 500, lookMs: 500});
	});

	test('above, 5 ms a node between 1 and 5 s; the pods every 2 s or as slowly as the counts', () => {
		assert.deepEqual(at(51), {progressMs: 1000, lookMs: 2000});
		assert.deepEqual(at(100), {progressMs: 1000, lookMs: 2000});
		assert.deepEqual(at(400), {progressMs: 2000, lookMs: 2000});
		assert.deepEqual(at(1000), {progressMs: 5000, lookMs: 5000});
		assert.deepEqual(at(20_000), {progressMs: 5000, lookMs: 5000});
	});

	test('never faster for a larger fleet', () => {
		fc.assert(
			fc.property(fc.integer({min: 0, max: 50_000}), fc.integer({min: 0, max: 50_000}), (a, b) => {
				const [small, large] = a <= b ? [at(a), at(b)] : [at(b), at(a)];
				return small.progressMs <= large.progressMs && small.lookMs <= large.lookMs && large.progressMs <= 5000;
			}),
		);
	});
});
