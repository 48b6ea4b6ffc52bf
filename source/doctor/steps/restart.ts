import {MultusError} from '../../errors.js';
import {finding} from '../../multus/findings.js';
import {rolloutIsByNode, unreadyPods} from '../../multus/rollout.js';
import {restartResolvingDoubt} from '../in-doubt.js';
import {say} from '../present.js';
import {clientOf, done, need, type Step} from './step.js';

/** Restart: what `kubectl rollout restart` does, for RollingUpdate DaemonSets; --no-restart and OnDelete skip it. */
export const restartStep: Step = {
	id: 'restart',
	skip: ({options, facts}) => (options.restart ? undefined : {note: say.noRestart(need(facts.found, 'Multus DaemonSet').daemonSet), code: finding.notRestarted.code}),
	async run(context) {
		const {facts, emit} = context;
		const client = clientOf(context);
		const found = need(facts.found, 'Multus DaemonSet');
		const {namespace, name, serviceAccount} = found.daemonSet;
		const current = await client.readDaemonSet(namespace, name);
		const strategy = current.spec?.updateStrategy?.type ?? 'RollingUpdate';
		if (strategy !== 'RollingUpdate') return {type: 'skipped', note: say.onDelete(found.daemonSet, strategy, found.selector), code: finding.onDelete.code};
		// What the restart needs: new pods can be created only as an existing ServiceAccount; without it each node
		// would lose its Multus pod. (Not allowed to read it: the rollout names a failed create.)
		const account = await client.readServiceAccount(namespace, serviceAccount).then(
			() => 'exists' as const,
			(error: unknown) => {
				if (error instanceof MultusError && error.kind === 'NotFound') return 'missing' as const;
				if (error instanceof MultusError && error.kind === 'Forbidden') return 'unknown' as const;
				throw error;
			},
		);
		if (account === 'missing') {
			const words = say.serviceAccountMissing(found.daemonSet);
			return {type: 'fail', error: new MultusError('Invalid', words.message, {hint: words.hint, finding: finding.serviceAccountMissing.code})};
		}
		// Pods already not ready are said before, not blamed on the restart; on small clusters the nodes are kept,
		// so that one left without a pod can be named.
		const desired = current.status?.desiredNumberScheduled ?? 0;
		const pods = rolloutIsByNode(current) ? (await client.listPods(namespace, found.selector, 500)).items : [];
		facts.nodesBeforeRestart = pods.flatMap(pod => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
		const unready = unreadyPods(pods);
		const notReady = rolloutIsByNode(current) ? unready.length + Math.max(0, desired - pods.length) : (current.status?.numberUnavailable ?? 0);
		if (notReady > 0) emit({type: 'note', note: say.unreadyBeforeRestart(found.daemonSet, unready, notReady, desired), code: finding.unreadyBeforeRestart.code});
		// kubectl's format: RFC 3339 to the second.
		const restartedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
		facts.restarted = (await restartResolvingDoubt(client, namespace, name, restartedAt, context.inDoubt)).value;
		facts.restart = {restartedAt, generation: facts.restarted.metadata?.generation ?? 0, dryRun: false, strategy};
		emit({type: 'restarted', restart: facts.restart});
		return done;
	},
};
