import type {RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule} from '@kubernetes/client-node';
import {describeRule, jsonCopy, rulesCover} from './rbac.js';
import {describeSubject, granteesOf, isMultusSubject, isOurs, sameBinding, type MultusIdentity, type RbacObjects} from './subjects.js';

/*
 * What `kubectl multus undo` may do to a role: take away what the doctor added, and nothing else. The result is
 * computed from the role's rules as they are now minus the recorded addition, never read from a record, so a
 * record (which anyone who may patch the role can write) can only ever make undo remove, never grant. Pure.
 */

/** The rules undo would leave, or why it must refuse. */
export type Revert =
	| {ok: true; after: V1PolicyRule[]; removed: RemovedPart[]}
	| {ok: false; reason: string};

/** One part of the recorded addition, as found in the rules now: a whole rule, or verbs appended to a rule. */
export type RemovedPart = {kind: 'rule'; index: number; rule: V1PolicyRule} | {kind: 'verbs'; index: number; verbs: string[]};

type RuleList = 'apiGroups' | 'resources' | 'resourceNames' | 'nonResourceURLs';
const ruleLists: RuleList[] = ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'];

function setOf(values: readonly string[] | null | undefined): string[] {
	return [...new Set(values ?? [])].sort();
}

function sameSet(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean {
	return JSON.stringify(setOf(a)) === JSON.stringify(setOf(b));
}

/** Same requests: every list equal as a set (absent and empty alike), verbs too. */
function sameRule(a: V1PolicyRule, b: V1PolicyRule): boolean {
	return ruleLists.every(key => sameSet(a[key], b[key])) && sameSet(a.verbs, b.verbs);
}

/** The rule `added` could have been merged into by appending its verbs (what planRolePatch's append-verbs does). */
function tookVerbs(rule: V1PolicyRule, added: V1PolicyRule): boolean {
	if ((rule.resourceNames ?? []).length > 0 || (added.resourceNames ?? []).length > 0) return false;
	if (!ruleLists.every(key => sameSet(rule[key], added[key]))) return false;
	const verbs = new Set(rule.verbs ?? []);
	return added.verbs.every(verb => verbs.has(verb)) && verbs.size > new Set(added.verbs).size;
}

/** A plain JSON copy: what the apiserver holds, without undefined members, in one field order (rbac.ts). */
const plain = jsonCopy;

/**
 * The rules of a role after taking `added` (a change record's addition) out of `current` (the role's rules now):
 * each added rule must be there exactly, as a rule of its own or as verbs on a rule with the same groups and
 * resources; otherwise undo refuses. The result is checked to be covered by `current`, so undo never grants.
 */
export function revertAddition(current: readonly V1PolicyRule[], added: readonly V1PolicyRule[]): Revert {
	if (added.length === 0) return {ok: false, reason: 'the change record adds nothing'};
	const after: Array<V1PolicyRule | undefined> = current.map(plain);
	const removed: RemovedPart[] = [];
	for (const rule of added) {
		const whole = after.findLastIndex(existing => existing !== undefined && sameRule(existing, rule));
		if (whole >= 0) {
			removed.push({kind: 'rule', index: whole, rule: after[whole]!});
			after[whole] = undefined;
			continue;
		}
		const merged = after.findIndex(existing => existing !== undefined && tookVerbs(existing, rule));
		if (merged >= 0) {
			const existing = after[merged]!;
			const verbs = new Set(rule.verbs);
			after[merged] = {...existing, verbs: existing.verbs.filter(verb => !verbs.has(verb))};
			removed.push({kind: 'verbs', index: merged, verbs: [...rule.verbs]});
			continue;
		}
		return {ok: false, reason: `the recorded addition "${describeRule(rule)}" is not in its rules now`};
	}
	const result = after.filter((rule): rule is V1PolicyRule => rule !== undefined);
	// By construction the result only loses requests; checked all the same, with the authorizer's own algebra.
	const widened = result.find(rule => !rulesCover([...current], rule));
	if (widened) return {ok: false, reason: `undo would grant "${describeRule(widened)}", which the role does not grant now`};
	return {ok: true, after: result, removed};
}

/** True when an existing dedicated ClusterRole is exactly the one planned: ours, and holding exactly its rules. */
export function sameDedicatedRole(existing: V1ClusterRole, planned: V1ClusterRole): boolean {
	const revert = revertAddition(existing.rules ?? [], planned.rules ?? []);
	return isOurs(existing) && revert.ok && revert.after.length === 0;
}

/** What undo does to one recorded change: set the role's rules, or delete the dedicated role (and its binding). */
export type UndoPlan =
	| {ok: true; kind: 'rules'; after: V1PolicyRule[]}
	| {ok: true; kind: 'delete'; binding: V1ClusterRoleBinding}
	| {ok: false; reason: string};

/**
 * Decides what undo may do with a change record found on `role`. Every check is on the objects as they are now,
 * since the record is only what someone wrote: the role must be the Multus identity's (bound to it, or a
 * dedicated role bound to it alone), and the recorded addition must be in it exactly. A patched role loses the
 * addition (revertAddition); a dedicated one (labelled ours, holding exactly the addition) is deleted with its
 * binding, only while that binding is still there and exactly ours. Either way undo only ever takes away.
 */
export function planUndo(input: {
	role: V1ClusterRole;
	added: V1PolicyRule[];
	dedicated?: {binding: string; subjects: RbacV1Subject[]} | undefined;
	/** The ClusterRoleBinding the record names, if it exists. */
	binding?: V1ClusterRoleBinding | undefined;
	objects: RbacObjects;
	identity: MultusIdentity;
	/** `NAMESPACE/NAME` of the DaemonSet the record names. */
	daemonSet: string;
}): UndoPlan {
	const {role, added, dedicated, binding, objects, identity, daemonSet} = input;
	const name = role.metadata?.name ?? '';
	const refuse = (reason: string): UndoPlan => ({ok: false, reason});
	const who = `${identity.namespace}:${identity.serviceAccount}`;
	if (!dedicated) {
		// The doctor only ever patches a role bound to the daemon's identity: a record anywhere else is not its own.
		if (!granteesOf(name, objects, identity).some(grantee => grantee.multus)) {
			return refuse(`it is not bound to DaemonSet ${daemonSet}'s identity (ServiceAccount ${who}), so kubectl multus did not change it for that DaemonSet`);
		}
		const revert = revertAddition(role.rules ?? [], added);
		return revert.ok ? {ok: true, kind: 'rules', after: revert.after} : refuse(revert.reason);
	}
	if (!isOurs(role) || role.aggregationRule) return refuse('its record says kubectl multus created it, but it does not carry the label kubectl multus puts on what it creates');
	const strangers = dedicated.subjects.filter(subject => !isMultusSubject(subject, identity));
	if (strangers.length > 0) return refuse(`its record names ${strangers.map(subject => describeSubject(subject)).join(', ')}, which is not DaemonSet ${daemonSet}'s identity`);
	const revert = revertAddition(role.rules ?? [], added);
	if (!revert.ok || revert.after.length > 0) return refuse('its rules are no longer exactly the ones kubectl multus created it with');
	// Only the binding shows the role is the identity's: a label and a record on a role anyone who may patch it can write.
	if (!binding) return refuse(`its ClusterRoleBinding ${dedicated.binding} is gone, so nothing shows kubectl multus created it for DaemonSet ${daemonSet} (if it did, delete ClusterRole ${name} yourself: undo will not)`);
	const ours: V1ClusterRoleBinding = {roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name}, subjects: dedicated.subjects};
	if (!isOurs(binding) || !sameBinding(binding, ours)) {
		return refuse(`ClusterRoleBinding ${binding.metadata?.name ?? ''} is no longer exactly the one kubectl multus created (ClusterRole ${name} to ${dedicated.subjects.map(subject => describeSubject(subject)).join(', ')})`);
	}
	return {ok: true, kind: 'delete', binding};
}
