import type {V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule} from '@kubernetes/client-node';
import {finding} from '../../multus/findings.js';
import {sameDedicatedRole} from '../../multus/revert.js';
import {isOurs, sameBinding} from '../../multus/subjects.js';
import {MultusError} from '../../errors.js';
import type {KubeApi} from '../../kube/client.js';
import {rulesCover} from '../../multus/rbac.js';
import {blockingRules} from '../../multus/requirements.js';
import {pause} from '../../timers.js';
import {createResolvingDoubt, patchRoleResolvingDoubt, type InDoubtOptions} from '../in-doubt.js';
import {say, undoHint} from '../present.js';
import {clientOf, done, maxConflictAttempts, need, type Step} from './step.js';

/** How many plans a run makes before a role that keeps changing is the failure. */

/** Patch: the planned JSON patch, guarded by the role's resourceVersion; a concurrent change sends the run back to the plan. */
export const patchStep: Step = {
	id: 'patch',
	skip: ({facts}) => (facts.plan?.patch.empty ? '' : undefined),
	async run(context) {
		const {facts, emit, signal} = context;
		const client = clientOf(context);
		const plan = need(facts.plan, 'plan');
		if (plan.dedicated) {
			const {clusterRole, clusterRoleBinding: binding} = plan.dedicated;
			const bindingName = binding.metadata?.name ?? '';
			const role = await createOrKeep(clusterRole, () => client.createClusterRole(clusterRole, false), () => client.readClusterRole(plan.role), context.inDoubt);
			// Recorded before the binding is created: should that be refused, what is said next knows the role exists.
			facts.createdRole = {role: plan.role, binding: bindingName, rules: role.value.rules ?? [], existed: role.existed};
			emit({type: 'role-created', created: facts.createdRole});
			const bound = await createOrKeep(binding, () => client.createClusterRoleBinding(binding, false), () => client.readClusterRoleBinding(bindingName), context.inDoubt);
			facts.patch = {role: plan.role, resourceVersion: role.value.metadata?.resourceVersion, rulesAfter: role.value.rules ?? [], dryRun: false, attempts: facts.attempt, createdBinding: bindingName, keptRole: role.existed, keptBinding: bound.existed, undo: undoHint(plan.role, context.options, bindingName)};
			emit({type: 'patched', patch: facts.patch});
			return done;
		}
		try {
			const {value: role} = await patchRoleResolvingDoubt(client, plan, context.inDoubt);
			facts.patch = {role: plan.role, resourceVersion: role.metadata?.resourceVersion, rulesAfter: role.rules ?? [], dryRun: false, attempts: facts.attempt, undo: undoHint(plan.role, context.options)};
			facts.patchedAt = Date.now();
			emit({type: 'patched', patch: facts.patch});
		} catch (error) {
			if (error instanceof MultusError && error.kind === 'Conflict' && facts.attempt < maxConflictAttempts) {
				facts.attempt++;
				return {type: 'again', step: 'plan', note: say.conflict(plan.role), code: finding.roleChangedMeanwhile.code};
			}
			throw error;
		}
		// The aggregation controller copies a patched source into the aggregate asynchronously: let it, before verifying.
		if (plan.aggregate) await waitForAggregation(client, plan.aggregate.role, blockingRules(need(facts.found, 'Multus DaemonSet').daemonSet.mode, need(facts.found, 'Multus DaemonSet').daemonSet.release.release), signal);
		return done;
	},
};

/**
 * Creates a dedicated object; one that exists already is accepted only if it is exactly the one planned (ours, the
 * same rules or the same grant): what an interrupted earlier run left (`existed`). Anything else is the failure.
 * A create that gets no answer is read back (createResolvingDoubt), like the patch of a role.
 */
async function createOrKeep<T extends V1ClusterRole | V1ClusterRoleBinding>(planned: T, create: () => Promise<T>, read: () => Promise<T>, inDoubt: InDoubtOptions): Promise<{value: T; existed: boolean}> {
	const isBinding = 'roleRef' in planned;
	const name = planned.metadata?.name ?? '';
	const what = `${isBinding ? 'ClusterRoleBinding' : 'ClusterRole'} ${name}`;
	const same = (existing: T) => (isBinding
		? isOurs(existing) && sameBinding(existing as V1ClusterRoleBinding, planned as V1ClusterRoleBinding)
		: sameDedicatedRole(existing as V1ClusterRole, planned as V1ClusterRole));
	const taken = (cause?: unknown) => dedicatedTaken(isBinding ? 'ClusterRoleBinding' : 'ClusterRole', name, cause);
	try {
		return {value: (await createResolvingDoubt(what, create, read, same, taken, inDoubt)).value, existed: false};
	} catch (error) {
		if (!(error instanceof MultusError) || error.kind !== 'Conflict' || error.finding === finding.dedicatedNameTaken.code) throw error;
		const existing = await read();
		if (same(existing)) return {value: existing, existed: true};
		throw taken(error);
	}
}

/** A dedicated object's name is held by one that is not exactly the one planned: the failure, before or at the write. */
export function dedicatedTaken(kind: 'ClusterRole' | 'ClusterRoleBinding', name: string, cause?: unknown): MultusError {
	const words = say.dedicatedTaken(kind, name);
	return new MultusError('Conflict', words.message, {hint: words.hint, ...(cause ? {cause} : {}), finding: finding.dedicatedNameTaken.code});
}

/** Waits (at most 15 s) until the aggregate ClusterRole covers `needed`, as it does once the controller re-aggregates. */
async function waitForAggregation(client: KubeApi, aggregate: string, needed: V1PolicyRule[], signal: AbortSignal): Promise<void> {
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline && !signal.aborted) {
		const rules = (await client.readClusterRole(aggregate)).rules ?? [];
		if (needed.every(rule => rulesCover(rules, rule))) return;
		await pause(250, signal);
	}
}
