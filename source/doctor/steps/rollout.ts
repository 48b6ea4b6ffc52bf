import type {V1DaemonSet} from '@kubernetes/client-node';
import {formatDuration} from '../../duration.js';
import {MultusError} from '../../errors.js';
import type {KubeApi} from '../../kube/client.js';
import {watchUntil, type WatchEnd} from '../../kube/watch.js';
import {
	daemonSetRolloutStatus,
	failedPodCreation,
	podlessNodes,
	podTemplateGeneration,
	rolloutCadence,
	rolloutIsByNode,
	rolloutProgress,
	summarisePod,
	type PodSample,
	type PodSummary,
	withPodlessNodes,
} from '../../multus/rollout.js';
import {finding} from '../../multus/findings.js';
import type {DoctorOptions} from '../../options.js';
import {bounded} from '../../timers.js';
import type {DoctorEvent} from '../machine.js';
import type {Found, RolloutView} from '../model.js';
import {say} from '../present.js';
import {Cancelled, clientOf, done, need, type Step} from './step.js';

/** Rollout: follows the restart until kubectl's rollout-status rules say done, or --timeout. */
export const rolloutStep: Step = {
	id: 'rollout',
	skip: ({facts}) => (facts.restarted ? undefined : ''),
	async run(context) {
		const {facts} = context;
		const found = need(facts.found, 'Multus DaemonSet');
		const since = {nodes: facts.nodesBeforeRestart ?? [], atMs: Date.parse(facts.restart?.restartedAt ?? '') || Date.now()};
		facts.restarted = await watchRollout(clientOf(context), found, need(facts.restarted, 'restart'), context.options, since, {
			emit: event => {
				if (event.type === 'rollout-progress') facts.rollout = event.rollout;
				context.emit(event);
			},
			signal: context.signal,
		});
		return done;
	},
};

/** How long the controller may fail to create a pod, with a node left without one, before the rollout fails: 10 s, or half of --timeout. */
function createFailureMs(options: DoctorOptions): number {
	return options.timeoutMs > 0 ? Math.min(10_000, options.timeoutMs / 2) : 10_000;
}

/** How many of the pods holding the rollout back a look fetches on a large cluster, of old and of new (the view shows 5). */
const pendingSampleSize = 5;

/**
 * The DaemonSet's pods as the rollout view needs them. Small clusters (or `everyPod`): every pod, a page at a
 * time, reduced to summaries as they come. Large clusters: two small lists, old pods and new pods not running
 * yet, which name the nodes the rollout waits on; the counts come from the DaemonSet's status.
 */
async function samplePods(client: KubeApi, found: Found, ds: V1DaemonSet, everyPod: boolean): Promise<PodSample> {
	const {namespace} = found.daemonSet;
	const generation = podTemplateGeneration(ds);
	if (everyPod || rolloutIsByNode(ds)) {
		const pods: PodSummary[] = [];
		let continueToken: string | undefined;
		do {
			const page = await client.listPods(namespace, found.selector, 500, {continueToken});
			for (const pod of page.items) pods.push(summarisePod(pod, generation));
			continueToken = page.continueToken;
		} while (continueToken);
		return {pods, complete: true};
	}
	const [old, fresh] = await Promise.all([
		client.listPods(namespace, `${found.selector},pod-template-generation!=${generation}`, pendingSampleSize),
		client.listPods(namespace, `${found.selector},pod-template-generation=${generation}`, pendingSampleSize, {fieldSelector: 'status.phase!=Running'}),
	]);
	return {pods: [...old.items, ...fresh.items].map(pod => summarisePod(pod, generation)), complete: false};
}

/**
 * Watches the DaemonSet until kubectl's rollout-status rules say done (kube/watch.ts does the watching: resume,
 * 410 re-list, timeout). The pods are only looked at on demand, to name the nodes the rollout waits on: after a
 * DaemonSet change, at most every 500 ms on small clusters and every 2-5 s on large ones (rolloutCadence), every
 * 5 s while nothing moves, and every pod once more when --timeout expires.
 */
async function watchRollout(
	client: KubeApi,
	found: Found,
	restarted: V1DaemonSet,
	options: DoctorOptions,
	since: {nodes: string[]; atMs: number},
	io: {emit: (event: DoctorEvent) => void; signal: AbortSignal},
): Promise<V1DaemonSet> {
	const {namespace, name} = found.daemonSet;
	// The controller may fail to create the new pods (a deleted ServiceAccount, a quota, admission): its
	// FailedCreate events name why; a node whose old pod is gone then has none. Once that has lasted
	// createFailureMs with the node still without a pod (or, on large clusters, no pod updated since), the
	// rollout cannot finish by itself: it fails, saying so, instead of waiting out --timeout.
	const failedCreates = `involvedObject.kind=DaemonSet,involvedObject.name=${name},reason=FailedCreate`;
	let createFailure: {message: string; firstSeenMs: number; updatedThen: number} | undefined;
	let failureLook: NodeJS.Timeout | undefined;
	const failAfterMs = createFailureMs(options);
	const stop = new AbortController();
	const podlessReason = () => (createFailure ? say.podCreateBlocked(createFailure.message) : say.podNotCreatedYet);
	const startedAt = Date.now();
	let ds = restarted;
	let sample: PodSample = {pods: [], complete: false};
	let reconnects = 0;
	let lastDispatch = 0;
	let lastShown = '';
	let pendingDispatch: NodeJS.Timeout | undefined;
	let watching = true;
	const view = (finishedAt?: number): RolloutView => ({
		status: daemonSetRolloutStatus(ds),
		progress: rolloutProgress(ds, sample),
		startedAt,
		finishedAt,
		reconnects,
	});
	// At most one progress event per rolloutCadence interval, and only when what it shows changed (the elapsed seconds count).
	const publish = (force = false) => {
		if (!watching) return;
		const now = Date.now();
		const interval = rolloutCadence(ds).progressMs;
		if (!force && now - lastDispatch < interval) {
			pendingDispatch ??= setTimeout(() => {
				pendingDispatch = undefined;
				publish(true);
			}, interval - (now - lastDispatch));
			return;
		}
		if (pendingDispatch) clearTimeout(pendingDispatch);
		pendingDispatch = undefined;
		const next = view();
		const shown = JSON.stringify([next.status.message, next.progress, reconnects, Math.floor((now - startedAt) / 1000)]);
		if (shown === lastShown) return;
		lastShown = shown;
		lastDispatch = now;
		io.emit({type: 'rollout-progress', rollout: next});
	};

	// Look at the pods, at most once per interval; a change seen during a look asks for one more after it.
	let lookTimer: NodeJS.Timeout | undefined;
	let looking = false;
	let lookAgain = false;
	let lastLook = 0;
	const look = () => {
		if (!watching) return;
		if (looking) {
			lookAgain = true;
			return;
		}
		if (lookTimer) return;
		const wait = lastLook + rolloutCadence(ds).lookMs - Date.now();
		if (wait > 0) {
			lookTimer = setTimeout(() => {
				lookTimer = undefined;
				look();
			}, wait);
			return;
		}
		looking = true;
		lastLook = Date.now();
		Promise.all([samplePods(client, found, ds, false), client.listEvents(namespace, failedCreates).catch(() => [])])
			.then(
				([next, events]) => {
					const failed = failedPodCreation(events, ds.metadata?.uid, since.atMs);
					if (failed) {
						createFailure = {message: failed.message, firstSeenMs: createFailure?.firstSeenMs ?? Date.now(), updatedThen: createFailure?.updatedThen ?? (ds.status?.updatedNumberScheduled ?? 0)};
						// Look again when the failure has lasted long enough to judge.
						failureLook ??= setTimeout(() => {
							lastLook = 0;
							look();
						}, failAfterMs);
					}
					sample = withPodlessNodes(next, since.nodes, podlessReason());
					const stuck = sample.complete ? podlessNodes(sample).length > 0 : (ds.status?.updatedNumberScheduled ?? 0) === createFailure?.updatedThen;
					if (createFailure && stuck && Date.now() - createFailure.firstSeenMs >= failAfterMs) stop.abort();
					publish();
				},
				// An outage shows through the DaemonSet watch; the last sample stays on screen meanwhile.
				() => undefined,
			)
			.finally(() => {
				looking = false;
				if (lookAgain) {
					lookAgain = false;
					look();
				}
			});
	};
	// The elapsed time moves while nothing else does; and the pods still change (a reason, a deletion): look
	// again every 5 s.
	const ticker = setInterval(() => {
		if (Date.now() - lastLook >= 5000) look();
		publish();
	}, 1000);

	let end: WatchEnd<V1DaemonSet>;
	try {
		end = await watchUntil(client, {
			path: `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
			name,
			initial: restarted,
			relist: async () => {
				const listed = await client.listDaemonSetByName(namespace, name);
				return {object: listed.daemonSet, resourceVersion: listed.resourceVersion};
			},
			settled: next => {
				ds = next;
				const status = daemonSetRolloutStatus(next);
				if (status.error) return new MultusError('RolloutFailed', status.error);
				return status.done && (next.status?.observedGeneration ?? 0) >= (restarted.metadata?.generation ?? 0);
			},
			onChange: () => {
				look();
				publish();
			},
			onResume: count => {
				reconnects = count;
				publish(true);
			},
			timeoutMs: options.timeoutMs,
			signal: AbortSignal.any([io.signal, stop.signal]),
		});
	} finally {
		watching = false;
		clearInterval(ticker);
		clearTimeout(lookTimer);
		clearTimeout(pendingDispatch);
		clearTimeout(failureLook);
	}
	ds = end.object;
	switch (end.type) {
		case 'settled':
			io.emit({type: 'rollout-progress', rollout: view(Date.now())});
			return ds;
		case 'cancelled': {
			if (io.signal.aborted || !createFailure) throw new Cancelled();
			const words = say.podCreationFailed(found.daemonSet, podlessNodes(sample), createFailure.message);
			throw new MultusError('RolloutFailed', words.message, {hint: words.hint, finding: finding.podCreationFailed.code});
		}
		case 'deleted': {
			const words = say.daemonSetDeleted(found.daemonSet);
			throw new MultusError('RolloutFailed', words.message, {hint: words.hint, finding: finding.daemonSetDeleted.code});
		}
		case 'timeout': {
			// Name every node still pending, from one last look at all the pods (bounded: the cluster may be down).
			const looked = await bounded(samplePods(client, found, ds, true).catch(() => undefined), Date.now() + 5000);
			const final = looked ? withPodlessNodes(looked, since.nodes, podlessReason()) : sample;
			const words = say.rolloutTimedOut(found.daemonSet, formatDuration(options.timeoutMs), daemonSetRolloutStatus(ds).message, rolloutProgress(ds, final));
			throw new MultusError('RolloutFailed', words.message, {hint: words.hint, finding: finding.rolloutTimedOut.code});
		}
	}
}
