import type {CoreV1Event, V1DaemonSet, V1Pod} from '@kubernetes/client-node';

/** kubectl's DaemonSetStatusViewer verdict: a pure function of the DaemonSet object. */
export interface RolloutStatus {
	message: string;
	done: boolean;
	/** Set when waiting makes no sense (OnDelete strategy): kubectl returns this as an error. */
	error: string | undefined;
}

/**
 * Exactly `kubectl rollout status ds/NAME`'s rules (kubectl/pkg/polymorphichelpers/rollout_status.go):
 * OnDelete is an error; until the controller observed the latest generation it waits; then all desired pods
 * must be updated, then all must be available. numberReady, numberUnavailable and maxUnavailable are ignored.
 */
export function daemonSetRolloutStatus(ds: V1DaemonSet): RolloutStatus {
	const name = ds.metadata?.name ?? '';
	const strategy = ds.spec?.updateStrategy?.type ?? 'RollingUpdate';
	if (strategy !== 'RollingUpdate') {
		return {message: '', done: true, error: 'rollout status is only available for RollingUpdate strategy type'};
	}
	const generation = ds.metadata?.generation ?? 0;
	const observed = ds.status?.observedGeneration ?? 0;
	if (generation <= observed) {
		const desired = ds.status?.desiredNumberScheduled ?? 0;
		const updated = ds.status?.updatedNumberScheduled ?? 0;
		const available = ds.status?.numberAvailable ?? 0;
		if (updated < desired) {
			return {
				message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
				done: false,
				error: undefined,
			};
		}
		if (available < desired) {
			return {
				message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
				done: false,
				error: undefined,
			};
		}
		return {message: `daemon set "${name}" successfully rolled out`, done: true, error: undefined};
	}
	return {message: 'Waiting for daemon set spec update to be observed...', done: false, error: undefined};
}

/** Why one node still holds the rollout back. */
export interface PendingNode {
	node: string;
	pod: string | undefined;
	reason: string;
}

export type RolloutCell = 'done' | 'new' | 'old';

export interface RolloutProgress {
	desired: number;
	updated: number;
	ready: number;
	available: number;
	/** Nodes whose pod is old, missing, or not ready yet; at most `limit`, with the total in pendingTotal. */
	pending: PendingNode[];
	pendingTotal: number;
	/** How many nodes are 'done' (new and available), 'new' (new, not ready) and 'old'; they add up to desired. */
	counts: Record<RolloutCell, number>;
	/** When `byNode`, one cell per node in node-name order, and the node of each; empty otherwise. */
	cells: RolloutCell[];
	nodes: string[];
	/**
	 * True when every pod was looked at (small clusters). False on large ones: the counts then come from the
	 * DaemonSet's status and `pending` is a sample of the nodes not done.
	 */
	byNode: boolean;
}

/** One pod as the rollout view needs it: a few strings, not the whole object. */
export interface PodSummary {
	name: string;
	node: string;
	cell: RolloutCell;
	/** Why it is not done yet; undefined when it is. */
	reason: string | undefined;
}

/** The pods looked at last: all of the DaemonSet's (`complete`), or only a sample of those not done yet. */
export interface PodSample {
	pods: PodSummary[];
	complete: boolean;
}

/**
 * Up to this many nodes, the doctor lists every pod of the DaemonSet to draw one cell (or line) per node; above,
 * it lists only a few of the pods holding the rollout back and counts the rest from the DaemonSet's status.
 */
export const rolloutByNodeMaxNodes = 50;

/** True when the rollout of `ds` is small enough to follow node by node (see rolloutByNodeMaxNodes). */
export function rolloutIsByNode(ds: V1DaemonSet): boolean {
	return (ds.status?.desiredNumberScheduled ?? 0) <= rolloutByNodeMaxNodes;
}

/**
 * How often the doctor shows the rollout's progress and looks at the pods that hold it back, in ms. Node by node,
 * twice a second. Above that, the counts at an interval that grows with the fleet, 5 ms a node between 1 and 5 s
 * (k9s refreshes every 2 s), and the pods every 2 s or at that interval if longer. The watch's own cost grows with
 * the nodes (each one's pod changes the DaemonSet's status), while each frame of the terminal UI costs about the
 * same at any size (5-15 ms of CPU: Ink redraws the whole live area) and each look two lists of 5 pods; so the
 * view's share stays small next to the watch (BENCHMARKS.md). The end is shown at once either way.
 */
export function rolloutCadence(ds: V1DaemonSet): {progressMs: number; lookMs: number} {
	if (rolloutIsByNode(ds)) return {progressMs: 500, lookMs: 500};
	const progressMs = Math.min(5000, Math.max(1000, 5 * (ds.status?.desiredNumberScheduled ?? 0)));
	return {progressMs, lookMs: Math.max(2000, progressMs)};
}

function isPodReady(pod: V1Pod): boolean {
	return pod.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Why a pod is not ready, in the words `kubectl get pods` would use. */
export function podNotReadyReason(pod: V1Pod): string {
	if (pod.metadata?.deletionTimestamp) return 'terminating';
	const waiting = pod.status?.containerStatuses?.find(c => c.state?.waiting)?.state?.waiting;
	if (waiting?.reason) return waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason;
	const terminated = pod.status?.containerStatuses?.find(c => c.state?.terminated)?.state?.terminated;
	if (terminated?.reason) return terminated.reason;
	const unschedulable = pod.status?.conditions?.find(c => c.type === 'PodScheduled' && c.status === 'False');
	// The scheduler's first sentence says why ("0/4 nodes are available: 1 Insufficient cpu, ...").
	if (unschedulable) return [unschedulable.reason ?? 'not scheduled', unschedulable.message?.split('. ')[0]].filter(Boolean).join(': ');
	const notReady = pod.status?.conditions?.find(c => c.type === 'Ready' && c.status !== 'True');
	if (notReady?.reason) return notReady.message ? `${notReady.reason}: ${notReady.message}` : notReady.reason;
	// A pod the kubelet has not started yet reads "Pending", as in kubectl get pods.
	if (pod.status?.phase === 'Pending') return 'Pending';
	return pod.status?.phase ? `${pod.status.phase}, not ready` : 'not ready';
}

/** The node a pod is on, or, for a DaemonSet pod not scheduled yet, the node its affinity pins it to. */
function podNode(pod: V1Pod): string {
	if (pod.spec?.nodeName) return pod.spec.nodeName;
	const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
	const pinned = terms.flatMap(term => term.matchFields ?? []).find(field => field.key === 'metadata.name' && field.operator === 'In');
	return pinned?.values?.[0] ?? '(unscheduled)';
}

/**
 * The value of the pod-template-generation label the DaemonSet controller puts on pods of the current template.
 * It counts template changes only (the apiserver keeps it in an annotation), so it falls behind
 * metadata.generation as soon as anything else in the spec changed once (updateStrategy, minReadySeconds).
 */
export function podTemplateGeneration(ds: V1DaemonSet): string {
	return ds.metadata?.annotations?.['deprecated.daemonset.template.generation'] ?? String(ds.metadata?.generation ?? '');
}

/** True for a pod of the current template (`generation`: the DaemonSet's podTemplateGeneration) not being deleted. */
export function podIsNew(pod: V1Pod, generation: string): boolean {
	return pod.metadata?.labels?.['pod-template-generation'] === generation && !pod.metadata?.deletionTimestamp;
}

/** A pod reduced to what the rollout view shows; `generation` is the DaemonSet's podTemplateGeneration. */
export function summarisePod(pod: V1Pod, generation: string): PodSummary {
	const isNew = podIsNew(pod, generation);
	const cell: RolloutCell = isNew ? (isPodReady(pod) ? 'done' : 'new') : 'old';
	return {
		name: pod.metadata?.name ?? '',
		node: podNode(pod),
		cell,
		reason: cell === 'done' ? undefined : isNew ? podNotReadyReason(pod) : pod.metadata?.deletionTimestamp ? 'old pod terminating' : 'old pod, not yet replaced',
	};
}

/** 0 for a new pod not ready, 1 for an old pod terminating, 2 for an old pod not touched yet. */
function urgency(pod: PodSummary): number {
	return pod.cell === 'new' ? 0 : pod.reason === 'old pod terminating' ? 1 : 2;
}

function byNodeName(a: PodSummary, b: PodSummary): number {
	return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** The counts from the DaemonSet's status: kubectl's numbers, so the view never disagrees with the headline. */
function countedFromStatus(ds: V1DaemonSet): Record<RolloutCell, number> {
	const desired = ds.status?.desiredNumberScheduled ?? 0;
	const updated = Math.min(desired, ds.status?.updatedNumberScheduled ?? 0);
	const unavailable = Math.max(0, desired - (ds.status?.numberAvailable ?? 0));
	// An unavailable pod is a new one not ready yet, or a node whose old pod is gone and whose new one is not
	// counted as updated yet; the second kind is already among the old.
	const fresh = Math.min(updated, unavailable);
	return {done: updated - fresh, new: fresh, old: desired - updated};
}

/**
 * How far a restart got. A pod counts as new when its pod-template-generation label (set by the DaemonSet
 * controller) equals the DaemonSet's template generation. With a complete sample the cells are node by node;
 * otherwise they are counted from the DaemonSet's status and the pending nodes are the sample's.
 */
export function rolloutProgress(ds: V1DaemonSet, sample: PodSample, limit = 10): RolloutProgress {
	const sorted = [...sample.pods].sort(byNodeName);
	// The nodes in flight first (a new pod not ready, an old one terminating), then those not started yet.
	const notDone = sorted.filter(pod => pod.cell !== 'done').sort((a, b) => urgency(a) - urgency(b));
	const cells = sample.complete ? sorted.map(pod => pod.cell) : [];
	const counts = sample.complete ? {done: 0, new: 0, old: 0} : countedFromStatus(ds);
	if (sample.complete) for (const cell of cells) counts[cell]++;
	return {
		desired: ds.status?.desiredNumberScheduled ?? 0,
		updated: ds.status?.updatedNumberScheduled ?? 0,
		ready: ds.status?.numberReady ?? 0,
		available: ds.status?.numberAvailable ?? 0,
		pending: notDone.slice(0, limit).map(pod => ({node: pod.node, pod: pod.name, reason: pod.reason ?? 'not ready'})),
		pendingTotal: counts.new + counts.old,
		counts,
		cells,
		nodes: sample.complete ? sorted.map(pod => pod.node) : [],
		byNode: sample.complete,
	};
}

/** When an event last happened: its series, its last timestamp, its event time, or its creation (ms; 0 if none). */
function eventTime(event: CoreV1Event): number {
	const at = event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp;
	return at === undefined ? 0 : new Date(at).getTime();
}

/**
 * The DaemonSet controller's newest FailedCreate for this DaemonSet (matched by uid, as a re-created one reuses its
 * name) at or after `sinceMs`: it could not create a pod, in its own words (`pods "kube-multus-ds-" is forbidden:
 * error looking up service account kube-system/multus: serviceaccount "multus" not found`), else undefined.
 */
export function failedPodCreation(events: readonly CoreV1Event[], daemonSetUid: string | undefined, sinceMs: number): {message: string; atMs: number} | undefined {
	let newest: {message: string; atMs: number} | undefined;
	for (const event of events) {
		if (event.reason !== 'FailedCreate' || (daemonSetUid !== undefined && event.involvedObject.uid !== daemonSetUid)) continue;
		const atMs = eventTime(event);
		// Event times have a second's precision: one in the restart's second counts.
		if (atMs < sinceMs - 1000 || (newest && atMs <= newest.atMs)) continue;
		newest = {message: (event.message ?? 'no message').replace(/^\(combined from similar events\): /, '').replace(/^Error creating: /, ''), atMs};
	}
	return newest;
}

/**
 * A complete sample with the nodes that had a Multus pod before the restart and have none now: the controller
 * deleted the old pod and has not created the new one (`reason` says why, when an event told).
 */
export function withPodlessNodes(sample: PodSample, nodesBefore: readonly string[], reason: string): PodSample {
	if (!sample.complete) return sample;
	const withPod = new Set(sample.pods.map(pod => pod.node));
	const podless = [...new Set(nodesBefore)].filter(node => !withPod.has(node));
	return {...sample, pods: [...sample.pods, ...podless.map(node => ({name: noPod, node, cell: 'old' as const, reason}))]};
}

/** The pod name withPodlessNodes gives a node without a pod (the view shows it where a pod's name goes). */
export const noPod = 'no pod';

/** The nodes of a sample that have no pod (see withPodlessNodes). */
export function podlessNodes(sample: PodSample): string[] {
	return sample.pods.filter(pod => pod.name === noPod).map(pod => pod.node);
}

/** The pods of a DaemonSet that are not ready, as `kubectl get pods` would say why. */
export function unreadyPods(pods: readonly V1Pod[]): Array<{pod: string; node: string; reason: string}> {
	return pods.filter(pod => !isPodReady(pod)).map(pod => ({pod: pod.metadata?.name ?? '', node: podNode(pod), reason: podNotReadyReason(pod)}));
}
