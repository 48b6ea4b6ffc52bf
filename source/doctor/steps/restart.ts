import {restartResolvingDoubt} from '../in-doubt.js';
import {say} from '../present.js';
import {clientOf, done, need, type Step} from './step.js';

/** Restart: what `kubectl rollout restart` does, for RollingUpdate DaemonSets; --no-restart and OnDelete skip it. */
export const restartStep: Step = {
	id: 'restart',
	skip: ({options, facts}) => (options.restart ? undefined : say.noRestart(need(facts.found, 'Multus DaemonSet').daemonSet)),
	async run(context) {
		const {facts, emit} = context;
		const client = clientOf(context);
		const found = need(facts.found, 'Multus DaemonSet');
		const {namespace, name} = found.daemonSet;
		const current = await client.readDaemonSet(namespace, name);
		const strategy = current.spec?.updateStrategy?.type ?? 'RollingUpdate';
		if (strategy !== 'RollingUpdate') return {type: 'skipped', note: say.onDelete(found.daemonSet, strategy, found.selector)};
		// kubectl's format: RFC 3339 to the second.
		const restartedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
		facts.restarted = (await restartResolvingDoubt(client, namespace, name, restartedAt, context.inDoubt)).value;
		facts.restart = {restartedAt, generation: facts.restarted.metadata?.generation ?? 0, dryRun: false, strategy};
		emit({type: 'restarted', restart: facts.restart});
		return done;
	},
};
