import type {V1PolicyRule} from '@kubernetes/client-node';
import {MultusError} from '../../errors.js';
import type {KubeApi} from '../../kube/client.js';
import {rulesCover} from '../../multus/rbac.js';
import {blockingRules} from '../../multus/requirements.js';
import {pause} from '../../timers.js';
import {patchRoleResolvingDoubt} from '../in-doubt.js';
import {say} from '../present.js';
import {clientOf, done, need, type Step} from './step.js';

/** How many plans a run makes before a role that keeps changing is the failure. */
const maxAttempts = 3;

/** Patch: the planned JSON patch, guarded by the role's resourceVersion; a concurrent change sends the run back to the plan. */
export const patchStep: Step = {
	id: 'patch',
	skip: ({facts}) => (facts.plan?.patch.empty ? '' : undefined),
	async run(context) {
		const {facts, emit, signal} = context;
		const client = clientOf(context);
		const plan = need(facts.plan, 'plan');
		try {
			const {value: role} = await patchRoleResolvingDoubt(client, plan, context.inDoubt);
			facts.patch = {role: plan.role, resourceVersion: role.metadata?.resourceVersion, rulesAfter: role.rules ?? [], dryRun: false, attempts: facts.attempt};
			facts.patchedAt = Date.now();
			emit({type: 'patched', patch: facts.patch});
		} catch (error) {
			if (error instanceof MultusError && error.kind === 'Conflict' && facts.attempt < maxAttempts) {
				facts.attempt++;
				return {type: 'again', step: 'plan', note: say.conflict(plan.role)};
			}
			throw error;
		}
		// The aggregation controller copies a patched source into the aggregate asynchronously: let it, before verifying.
		if (plan.aggregate) await waitForAggregation(client, plan.aggregate.role, blockingRules(need(facts.found, 'Multus DaemonSet').daemonSet.mode, need(facts.found, 'Multus DaemonSet').daemonSet.release.release), signal);
		return done;
	},
};

/** Waits (at most 15 s) until the aggregate ClusterRole covers `needed`, as it does once the controller re-aggregates. */
async function waitForAggregation(client: KubeApi, aggregate: string, needed: V1PolicyRule[], signal: AbortSignal): Promise<void> {
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline && !signal.aborted) {
		const rules = (await client.readClusterRole(aggregate)).rules ?? [];
		if (needed.every(rule => rulesCover(rules, rule))) return;
		await pause(250, signal);
	}
}
