import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule} from '@kubernetes/client-node';
import fc from 'fast-check';
import {applyPlan, breakdownRule, planRolePatch, rulesCover} from '../../../source/multus/rbac.js';
import {planUndo, revertAddition} from '../../../source/multus/revert.js';
import {policyRulesArb, requestAtomArb, roleAndNeedArb} from '../../helpers/rbac-arbitraries.js';

const podsListWatch: V1PolicyRule = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};
const upstream: V1PolicyRule[] = [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']},
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
];
const everything: V1PolicyRule = {apiGroups: ['*'], resources: ['*'], verbs: ['*']};

/** Every request `after` allows, `before` allows too: nothing was granted. */
function grantsNothingNew(before: V1PolicyRule[], after: V1PolicyRule[]): boolean {
	return after.flatMap(rule => breakdownRule(rule)).every(atom => rulesCover(before, atom));
}

describe('revertAddition', () => {
	test('takes an appended rule out again, leaving the other rules as they are', () => {
		const result = revertAddition([...upstream, podsListWatch], [podsListWatch]);
		assert.deepEqual(result, {ok: true, after: upstream, removed: [{kind: 'rule', index: 3, rule: podsListWatch}]});
	});

	test('takes appended verbs off the rule they were appended to', () => {
		const before: V1PolicyRule[] = [{apiGroups: [''], resources: ['pods'], verbs: ['get', 'update']}];
		const plan = planRolePatch(before, [podsListWatch]);
		assert.equal(plan.additions[0]?.kind, 'append-verbs');
		const result = revertAddition(plan.after, plan.missing);
		assert.ok(result.ok);
		assert.deepEqual(result.after, before);
		assert.deepEqual(result.removed, [{kind: 'verbs', index: 0, verbs: ['list', 'watch']}]);
	});

	test('keeps what someone else added after the doctor', () => {
		const theirs: V1PolicyRule = {apiGroups: [''], resources: ['configmaps'], verbs: ['get']};
		const result = revertAddition([...upstream, podsListWatch, theirs], [podsListWatch]);
		assert.ok(result.ok);
		assert.deepEqual(result.after, [...upstream, theirs]);
	});

	test('refuses when the recorded addition is not in the rules (the forged record of issue 12: mallory)', () => {
		const mallory: V1PolicyRule[] = [{apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['mallory'], verbs: ['get', 'patch']}];
		const result = revertAddition(mallory, [podsListWatch]);
		assert.deepEqual(result, {ok: false, reason: 'the recorded addition "pods [""]: list, watch" is not in its rules now'});
	});

	test('refuses a record that adds nothing (an empty addition would be a blank cheque for "previous rules")', () => {
		assert.deepEqual(revertAddition(upstream, []), {ok: false, reason: 'the change record adds nothing'});
	});

	test('a recorded wildcard that is not there is refused; one that is there is only ever removed', () => {
		assert.equal(revertAddition(upstream, [everything]).ok, false);
		const result = revertAddition([...upstream, everything], [everything]);
		assert.ok(result.ok);
		assert.deepEqual(result.after, upstream);
	});

	test('verbs are taken only from a rule with exactly the same groups and resources, never from a named rule', () => {
		const named: V1PolicyRule = {apiGroups: [''], resources: ['pods'], resourceNames: ['a'], verbs: ['get', 'list', 'watch']};
		assert.equal(revertAddition([named], [podsListWatch]).ok, false);
		const wider: V1PolicyRule = {apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch']};
		assert.equal(revertAddition([wider], [podsListWatch]).ok, false);
	});

	test('lists compare as sets, so a reordered rule is still recognised', () => {
		const result = revertAddition([{apiGroups: [''], resources: ['pods'], verbs: ['watch', 'list']}], [podsListWatch]);
		assert.deepEqual(result, {ok: true, after: [], removed: [{kind: 'rule', index: 0, rule: {apiGroups: [''], resources: ['pods'], verbs: ['watch', 'list']}}]});
	});

	test('property: undo of the doctor\'s own plan gives back the rules before it, exactly', () => {
		fc.assert(
			fc.property(roleAndNeedArb(), ({role, needed}) => {
				const before = role.rules ?? [];
				// A rule without verbs grants nothing; the doctor's append to it is then a whole new rule for undo.
				fc.pre(before.every(rule => (rule.verbs ?? []).length > 0));
				const plan = planRolePatch(role.rules, needed, role.metadata?.resourceVersion);
				fc.pre(!plan.empty);
				const result = revertAddition(applyPlan(role.rules, plan), plan.missing);
				assert.ok(result.ok, !result.ok ? result.reason : '');
				assert.deepEqual(result.after, JSON.parse(JSON.stringify(before)));
			}),
			{numRuns: 400},
		);
	});

	test('property: for any rules and any forged addition, undo either refuses or grants nothing new', () => {
		let accepted = 0;
		fc.assert(
			fc.property(policyRulesArb(), policyRulesArb(), fc.nat(), (current, forged, pick) => {
				// Two times in three the forged addition copies a rule the role really has, so both answers occur.
				const copied = current[pick % Math.max(current.length, 1)];
				const added = pick % 3 === 0 || !copied ? forged : pick % 3 === 1 ? [copied] : [copied, ...forged.slice(0, 1)];
				const result = revertAddition(current, added);
				if (!result.ok) return;
				accepted++;
				assert.ok(grantsNothingNew(current, result.after));
				assert.ok(result.after.length < current.length || result.removed.some(part => part.kind === 'verbs'));
			}),
			{numRuns: 600},
		);
		assert.ok(accepted > 50, `only ${accepted} forged records were accepted: the property proved little`);
	});

	test('property: no request the role denies now is allowed after undo', () => {
		fc.assert(
			fc.property(policyRulesArb(), policyRulesArb(), fc.array(requestAtomArb(), {maxLength: 8}), (current, added, requests) => {
				const result = revertAddition([...current, ...added], added);
				if (!result.ok) return;
				for (const request of requests) {
					if (!rulesCover([...current, ...added], request)) assert.equal(rulesCover(result.after, request), false);
				}
			}),
			{numRuns: 400},
		);
	});
});

describe('planUndo: what undo may do with a change record, checked against the objects as they are', () => {
	const identity = {namespace: 'kube-system', serviceAccount: 'multus', perNodeCertificates: true};
	const daemonSet = 'kube-system/kube-multus-ds';
	const multusSa = {kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'};
	const bindingTo = (name: string, role: string, subjects: RbacV1Subject[], labels?: Record<string, string>): V1ClusterRoleBinding => ({metadata: {name, ...(labels ? {labels} : {})}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role}, subjects});
	const ours = {'app.kubernetes.io/managed-by': 'kubectl-multus'};
	const dedicatedName = 'kubectl-multus:kube-system:kube-multus-ds';
	const dedicatedRole: V1ClusterRole = {metadata: {name: dedicatedName, labels: ours}, rules: [podsListWatch]};
	const dedicatedBinding = bindingTo(dedicatedName, dedicatedName, [multusSa], ours);
	const objects = (roles: V1ClusterRole[], bindings: V1ClusterRoleBinding[]) => ({clusterRoles: roles, clusterRoleBindings: bindings, roleBindings: []});

	test('a patched Multus role loses the addition', () => {
		const role: V1ClusterRole = {metadata: {name: 'multus'}, rules: [...upstream, podsListWatch]};
		const plan = planUndo({role, added: [podsListWatch], objects: objects([role], [bindingTo('multus', 'multus', [multusSa])]), identity, daemonSet});
		assert.deepEqual(plan, {ok: true, kind: 'rules', after: upstream});
	});

	test('a role that is not bound to the DaemonSet\'s identity is refused, whatever its record says (mallory)', () => {
		const role: V1ClusterRole = {metadata: {name: 'mallory'}, rules: [podsListWatch]};
		const plan = planUndo({role, added: [podsListWatch], objects: objects([role], [bindingTo('mallory', 'mallory', [{kind: 'User', name: 'mallory'}])]), identity, daemonSet});
		assert.deepEqual(plan, {ok: false, reason: "it is not bound to DaemonSet kube-system/kube-multus-ds's identity (ServiceAccount kube-system:multus), so kubectl multus did not change it for that DaemonSet"});
	});

	test('a dedicated role and binding exactly as created are deleted', () => {
		const plan = planUndo({role: dedicatedRole, added: [podsListWatch], dedicated: {binding: dedicatedName, subjects: [multusSa]}, binding: dedicatedBinding, objects: objects([dedicatedRole], [dedicatedBinding]), identity, daemonSet});
		assert.deepEqual(plan, {ok: true, kind: 'delete', binding: dedicatedBinding});
	});

	test('a dedicated role whose binding is gone is refused (mallory may label her own role and write such a record)', () => {
		const plan = planUndo({role: dedicatedRole, added: [podsListWatch], dedicated: {binding: dedicatedName, subjects: [multusSa]}, objects: objects([dedicatedRole], []), identity, daemonSet});
		assert.match(plan.ok ? '' : plan.reason, /its ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds is gone, so nothing shows kubectl multus created it/);
	});

	const forged: Array<[string, Parameters<typeof planUndo>[0], RegExp]> = [
		['a "dedicated" record on a role without our label (someone\'s own role, to have it deleted)', {role: {metadata: {name: 'victim'}, rules: [podsListWatch]}, added: [podsListWatch], dedicated: {binding: 'victim', subjects: [multusSa]}, objects: objects([], []), identity, daemonSet}, /does not carry the label/],
		['a record naming another subject as the dedicated binding\'s', {role: dedicatedRole, added: [podsListWatch], dedicated: {binding: dedicatedName, subjects: [{kind: 'User', name: 'mallory'}]}, binding: bindingTo(dedicatedName, dedicatedName, [{kind: 'User', name: 'mallory'}], ours), objects: objects([dedicatedRole], []), identity, daemonSet}, /names User mallory, which is not DaemonSet kube-system\/kube-multus-ds's identity/],
		['a dedicated role someone widened since', {role: {...dedicatedRole, rules: [podsListWatch, everything]}, added: [podsListWatch], dedicated: {binding: dedicatedName, subjects: [multusSa]}, binding: dedicatedBinding, objects: objects([], []), identity, daemonSet}, /no longer exactly the ones/],
		['a binding that now also names mallory (deleting it is fine, but it is not what we made)', {role: dedicatedRole, added: [podsListWatch], dedicated: {binding: dedicatedName, subjects: [multusSa]}, binding: bindingTo(dedicatedName, dedicatedName, [multusSa, {kind: 'User', name: 'mallory'}], ours), objects: objects([], []), identity, daemonSet}, /is no longer exactly the one kubectl multus created/],
		['a record that points the deletion at someone else\'s binding (no label)', {role: dedicatedRole, added: [podsListWatch], dedicated: {binding: 'cluster-admin', subjects: [multusSa]}, binding: bindingTo('cluster-admin', 'cluster-admin', [{kind: 'Group', name: 'system:masters'}]), objects: objects([], []), identity, daemonSet}, /ClusterRoleBinding cluster-admin is no longer exactly/],
	];
	for (const [what, input, reason] of forged) {
		test(`refused: ${what}`, () => {
			const plan = planUndo(input);
			assert.equal(plan.ok, false);
			assert.match(plan.ok ? '' : plan.reason, reason);
		});
	}
});
