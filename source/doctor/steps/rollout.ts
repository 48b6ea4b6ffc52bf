import type {V1DaemonSet} from '@kubernetes/client-node';
import {formatDuration} from '../../duration.js';
import {MultusError} from '../../errors.js';
import type {KubeApi} from '../../kube/client.js';
import {
	daemonSetRolloutStatus,
	podTemplateGeneration,
	rolloutCadence,
	rolloutIsByNode,
	rolloutProgress,
	summarisePod,
	type PodSample,
	type PodSummary,
} from '../../multus/rollout.js';
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
		facts.restarted = await watchRollout(clientOf(context), found, need(facts.restarted, 'restart'), context.options, {
			emit: event => {
				if (event.type === 'rollout-progress') facts.rollout = event.rollout;
				context.emit(event);
			},
			signal: context.signal,
		});
		return done;
	},
};

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
 * Watches the DaemonSet until kubectl's rollout-status rules say done: one watch on the DaemonSet alone, as
 * `kubectl rollout status` does, resumed from the last resourceVersion after a dropped watch and re-listed
 * after 410. The pods are only looked at on demand, to name the nodes the rollout waits on: after a DaemonSet
 * change, at most every 500 ms on small clusters and every 2-5 s on large ones (rolloutCadence), every 5 s while nothing moves,
 * and every pod once more when --timeout expires.
 */
async function watchRollout(client: KubeApi, found: Found, restarted: V1DaemonSet, options: DoctorOptions, io: {emit: (event: DoctorEvent) => void; signal: AbortSignal}): Promise<V1DaemonSet> {
	const {namespace, name} = found.daemonSet;
	const startedAt = Date.now();
	let ds = restarted;
	let sample: PodSample = {pods: [], complete: false};
	let reconnects = 0;
	let lastDispatch = 0;
	let lastShown = '';
	let pendingDispatch: NodeJS.Timeout | undefined;
	const view = (finishedAt?: number): RolloutView => ({
		status: daemonSetRolloutStatus(ds),
		progress: rolloutProgress(ds, sample),
		startedAt,
		finishedAt,
		reconnects,
	});
	// At most one progress event per rolloutCadence interval, and only when what it shows changed (the elapsed seconds count).
	const publish = (force = false) => {
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

	return new Promise<V1DaemonSet>((resolve, reject) => {
		let settled = false;
		let dsWatch: {abort: () => void} | undefined;
		let timer: NodeJS.Timeout | undefined;
		let lookTimer: NodeJS.Timeout | undefined;
		let looking = false;
		let lookAgain = false;
		let lastLook = 0;
		let ticker: NodeJS.Timeout | undefined;
		const done = (error?: unknown) => {
			if (settled) return;
			settled = true;
			dsWatch?.abort();
			clearTimeout(timer);
			clearTimeout(lookTimer);
			clearInterval(ticker);
			clearTimeout(pendingDispatch);
			io.signal.removeEventListener('abort', onAbort);
			if (error) reject(error);
			else {
				io.emit({type: 'rollout-progress', rollout: view(Date.now())});
				resolve(ds);
			}
		};
		const onAbort = () => done(new Cancelled());
		const deleted = () => {
			const words = say.daemonSetDeleted(found.daemonSet);
			return new MultusError('RolloutFailed', words.message, {hint: words.hint});
		};
		io.signal.addEventListener('abort', onAbort);

		// Look at the pods, at most once per interval; a change seen during a look asks for one more after it.
		const look = () => {
			if (settled) return;
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
			samplePods(client, found, ds, false)
				.then(
					next => {
						sample = next;
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
		ticker = setInterval(() => {
			if (Date.now() - lastLook >= 5000) look();
			publish();
		}, 1000);

		const check = () => {
			const status = daemonSetRolloutStatus(ds);
			if (status.error) done(new MultusError('RolloutFailed', status.error));
			else if (status.done && (ds.status?.observedGeneration ?? 0) >= (restarted.metadata?.generation ?? 0)) done();
			else {
				look();
				publish();
			}
		};
		if (options.timeoutMs > 0) {
			timer = setTimeout(() => {
				void (async () => {
					// Name every node still pending, from one last look at all the pods (bounded: the cluster may be down).
					const final = (await bounded(samplePods(client, found, ds, true).catch(() => undefined), Date.now() + 5000)) ?? sample;
					const words = say.rolloutTimedOut(found.daemonSet, formatDuration(options.timeoutMs), daemonSetRolloutStatus(ds).message, rolloutProgress(ds, final));
					done(new MultusError('RolloutFailed', words.message, {hint: words.hint}));
				})();
			}, options.timeoutMs);
		}

		const startDsWatch = async (resourceVersion: string | undefined) => {
			if (settled) return;
			try {
				if (!resourceVersion) {
					// Re-list (as a list of one), and watch from the list's resourceVersion: after 410 the object's own is too old.
					const listed = await client.listDaemonSetByName(namespace, name);
					if (!listed.daemonSet) throw new MultusError('NotFound', `DaemonSet ${namespace}/${name} not found`);
					ds = listed.daemonSet;
					resourceVersion = listed.resourceVersion;
					check();
					if (settled) return;
				}
				let lastRv = resourceVersion;
				dsWatch = await client.watch<V1DaemonSet>(
					`/apis/apps/v1/namespaces/${namespace}/daemonsets`,
					{fieldSelector: `metadata.name=${name}`, resourceVersion},
					event => {
						lastRv = event.object.metadata?.resourceVersion ?? lastRv;
						if (event.type === 'BOOKMARK') return;
						if (event.type === 'DELETED') {
							done(deleted());
							return;
						}
						ds = event.object;
						check();
					},
					error => {
						if (settled) return;
						reconnects++;
						publish(true);
						// 410 Gone: our resourceVersion is too old, re-list. Otherwise resume from the last one we saw.
						const retryRv = error?.kind === 'Gone' ? undefined : lastRv;
						setTimeout(() => void startDsWatch(retryRv), error ? Math.min(1000 * reconnects, 5000) : 0);
					},
				);
				// The rollout may have settled while this watch was connecting: do not leave it open.
				if (settled) dsWatch.abort();
			} catch (error) {
				if (settled) return;
				if (error instanceof MultusError && error.kind === 'NotFound') {
					done(deleted());
					return;
				}
				// The API server is unreachable: keep trying until the timeout, as kubectl rollout status does.
				reconnects++;
				publish(true);
				setTimeout(() => void startDsWatch(undefined), Math.min(1000 * reconnects, 5000));
			}
		};

		void startDsWatch(ds.metadata?.resourceVersion);
		check();
	});
}
