import {ExitCode} from '../../exit-codes.js';
import {missingRules, rulesCover} from '../../multus/rbac.js';
import {advisoryRules, blockingRules, daemonInformers, requiredRules} from '../../multus/requirements.js';
import {accessEvidence, logEvidence} from '../evidence.js';
import type {Diagnosis} from '../model.js';
import {say} from '../present.js';
import {clientOf, done, need, outcome, type Step, type StepContext} from './step.js';

/** Detect: the three independent signals (logs, access review, rules); healthy ends the run here. */
export const detectStep: Step = {
	id: 'detect',
	async run(context) {
		const diagnosis = await detect(context);
		context.facts.diagnosis = diagnosis;
		context.emit({type: 'diagnosed', diagnosis});
		if (diagnosis.verdict === 'healthy') return outcome('healthy', ExitCode.Ok, diagnosis.summary);
		return done;
	},
};

async function detect(context: StepContext): Promise<Diagnosis> {
	const {options, signal} = context;
	const client = clientOf(context);
	const found = need(context.facts.found, 'Multus DaemonSet');
	const mode = found.daemonSet.mode;
	const granted = found.roles.flatMap(role => role.rules);
	const release = found.daemonSet.release.release;
	const needed = blockingRules(mode, release);
	const [access, logs] = await Promise.all([
		accessEvidence(client, found.identity),
		(async () => {
			const pods = await client.listPods(found.daemonSet.namespace, found.selector, options.logPods);
			return logEvidence(client, pods.items.slice(0, options.logPods), found.daemonSet.container, options.logBytes, signal);
		})(),
	]);
	const requirements = requiredRules(mode, release).map(requirement => ({...requirement, covered: rulesCover(granted, requirement.rule)}));
	const missing = missingRules(granted, needed);
	const advisoryMissing = missingRules(granted, advisoryRules(mode, release));
	// Only a daemon that runs informers needs list and watch: a thick image before v4.1 reads pods live.
	const accessDenied = daemonInformers(mode, release).length > 0 && (!access.list.allowed || !access.watch.allowed);
	const broken = missing.length > 0 || accessDenied;
	const denied = [!access.list.allowed && 'list', !access.watch.allowed && 'watch'].filter((verb): verb is string => Boolean(verb));
	const summary = mode === 'thin'
		? say.healthyThin(found.daemonSet)
		: !broken
			? logs.count > 0 ? say.healthyWithOldLines(found.identity.user, logs.count) : say.healthy(found.identity.user)
			: say.broken(denied);
	return {logs, access, rules: {requirements, missing, advisoryMissing}, verdict: broken ? 'broken' : 'healthy', summary};
}
