import type {V1Pod} from '@kubernetes/client-node';
import {ExitCode} from '../../exit-codes.js';
import {podIsNew, podTemplateGeneration} from '../../multus/rollout.js';
import {accessEvidence, emptyLogEvidence, logEvidence} from '../evidence.js';
import {say, undoHint} from '../present.js';
import {clientOf, need, outcome, type Step} from './step.js';

/** Verify: the access review again, and the new pods' logs (only theirs: the old pods keep their old lines). */
export const verifyStep: Step = {
	id: 'verify',
	async run(context) {
		const {facts, options, signal, emit} = context;
		const client = clientOf(context);
		const found = need(facts.found, 'Multus DaemonSet');
		const plan = need(facts.plan, 'plan');
		const restarted = facts.restarted;
		const access = await accessEvidence(client, found.identity);
		let podsToCheck: V1Pod[] = [];
		if (restarted) {
			// Only the new template's pods, and only as many as we read logs from: never all pods of a big fleet.
			const generation = podTemplateGeneration(restarted);
			const pods = await client.listPods(found.daemonSet.namespace, `${found.selector},pod-template-generation=${generation}`, options.logPods * 2);
			podsToCheck = pods.items.filter(pod => podIsNew(pod, generation)).slice(0, options.logPods);
		}
		const logs = podsToCheck.length > 0
			? await logEvidence(client, podsToCheck, found.daemonSet.container, options.logBytes, signal)
			: {...emptyLogEvidence(), state: 'unavailable' as const, errors: [restarted ? say.noNewPods : say.notRestarted]};
		const passed = access.list.allowed && access.watch.allowed && logs.count === 0;
		facts.verification = {access, logs, passed, undo: undoHint(plan.role, options.connection.context)};
		emit({type: 'verified', verification: facts.verification});
		if (!passed) {
			const denied = [!access.list.allowed && 'list', !access.watch.allowed && 'watch'].filter((verb): verb is string => Boolean(verb));
			return outcome('problem', ExitCode.ProblemFound, say.notVerified(denied, logs.count));
		}
		return outcome('fixed', ExitCode.Ok, say.fixed(found.identity.user, logs.state === 'clean'));
	},
};
