// Generated RBAC around a Multus install, for the security property (issue 12): roles Multus shares with other
// subjects (through ClusterRoleBindings, RoleBindings, aggregates), and change records on roles, real-looking and
// forged, written by someone who may patch only their own role. The same cases drive the in-memory cluster (many
// runs) and the real apiserver with SubjectAccessReview (a few).
import type {RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1RoleBinding} from '@kubernetes/client-node';
import fc from 'fast-check';
import {policyRulesArb, requestAtomArb} from './rbac-arbitraries.js';

export const caseLabel = {key: 'kubectl-multus.dev/e2e', value: 'security-property'} as const;
const labels = {[caseLabel.key]: caseLabel.value};
const ourLabel = {'app.kubernetes.io/managed-by': 'kubectl-multus'};
const group = 'rbac.authorization.k8s.io';
const podsListWatch: V1PolicyRule = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};

/** Someone RBAC may answer about: a user and the groups it is in. */
export interface Observer {
	name: string;
	user: string;
	groups: string[];
	/** The Multus daemon itself: the only one the doctor may give anything. */
	multus: boolean;
}

const serviceAccount = (namespace: string, name: string): Observer => ({
	name: `${namespace}:${name}`,
	user: `system:serviceaccount:${namespace}:${name}`,
	groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
	multus: namespace === 'kube-system' && name === 'multus',
});

export const observers: Observer[] = [
	serviceAccount('kube-system', 'multus'),
	serviceAccount('default', 'webapp'),
	// In every group the Multus ServiceAccount is in, but not Multus.
	serviceAccount('kube-system', 'other'),
	{name: 'alice', user: 'alice', groups: ['system:authenticated'], multus: false},
	{name: 'dev', user: 'dev', groups: ['devs', 'system:authenticated'], multus: false},
	{name: 'bob', user: 'bob', groups: ['system:authenticated'], multus: false},
	{name: 'mallory', user: 'mallory', groups: ['system:authenticated'], multus: false},
];

/** The namespace RoleBindings grant in, and requests are asked in besides cluster scope. */
export const teamNamespace = 'team-a';

const multusSa: RbacV1Subject = {kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'};
const otherSubjects: RbacV1Subject[] = [
	{kind: 'ServiceAccount', name: 'webapp', namespace: 'default'},
	{apiGroup: group, kind: 'User', name: 'alice'},
	{apiGroup: group, kind: 'Group', name: 'devs'},
	{apiGroup: group, kind: 'Group', name: 'system:serviceaccounts:kube-system'},
];

/** Where a record is written, and what it says. */
export interface PlacedRecord {
	on: 'mallory' | 'shared' | 'multus';
	change: string;
	previousRules: string | undefined;
	/** The writer also put our label on the role (mallory may patch her own role's labels). */
	labelOurs: boolean;
}

export interface SecurityCase {
	/** The rules of the role Multus shares (sorted first, so the doctor prefers it when it is about pods). */
	sharedRules: V1PolicyRule[];
	/** Who else its ClusterRoleBinding names besides Multus (none: Multus's own role). */
	sharedWith: RbacV1Subject[];
	/** A RoleBinding of the shared role to bob in team-a. */
	roleBinding: boolean;
	/** An aggregated role that copies the shared role, bound to Group devs. */
	aggregate: boolean;
	records: PlacedRecord[];
	/** Requests every observer is asked about, besides pods list/watch/get. */
	requests: V1PolicyRule[];
}

const daemonSet = 'kube-system/kube-multus-ds';
const malloryRules: V1PolicyRule[] = [{apiGroups: [group], resources: ['clusterroles'], resourceNames: ['mallory'], verbs: ['get', 'patch']}];

/** A change record as the doctor writes one (naming the Multus DaemonSet), with what it claims as the addition. */
function recordText(added: V1PolicyRule[], rulesAfter: V1PolicyRule[], dedicated?: {binding: string; subjects: RbacV1Subject[]}): string {
	return JSON.stringify({added, at: '2026-01-01T00:00:00Z', by: 'kubectl-multus 0.1.0 (forged)', daemonSet, rulesAfter, ...(dedicated ? {dedicated} : {})});
}

/** A change record someone wrote by hand: about nothing real, about rules that are there, "dedicated", or malformed. */
function recordArb(sharedRules: V1PolicyRule[]): fc.Arbitrary<PlacedRecord> {
	const on = fc.constantFrom<PlacedRecord['on']>('mallory', 'shared', 'multus');
	const claimed = fc.oneof(policyRulesArb({valid: true}).filter(rules => rules.length > 0), fc.constant<V1PolicyRule[]>([podsListWatch]), fc.constant<V1PolicyRule[]>(malloryRules), fc.constant<V1PolicyRule[]>(sharedRules.length > 0 ? sharedRules : malloryRules));
	const everything = JSON.stringify([{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]);
	const change = fc.oneof(
		claimed.map(added => recordText(added, added)),
		claimed.map(added => recordText(added, added, {binding: 'mallory', subjects: [multusSa]})),
		claimed.map(added => recordText(added, added, {binding: 'prop-no-such-binding', subjects: [multusSa]})),
		fc.constantFrom('null', '{}', '"x"', '[]', '{"added":'),
	);
	return fc.record({on, change, previousRules: fc.constantFrom(undefined, everything, '[]'), labelOurs: fc.boolean()});
}

export function securityCaseArb(): fc.Arbitrary<SecurityCase> {
	return fc
		.record({
			rules: policyRulesArb({valid: true}),
			aboutPods: fc.boolean(),
			sharedWith: fc.subarray(otherSubjects),
			roleBinding: fc.boolean(),
			aggregate: fc.boolean(),
			requests: fc.array(requestAtomArb(), {minLength: 4, maxLength: 8}),
		})
		.chain(({rules, aboutPods, ...rest}) => {
			const sharedRules = aboutPods ? [...rules, {apiGroups: [''], resources: ['pods'], verbs: ['get']}] : rules;
			return fc.array(recordArb(sharedRules), {maxLength: 3}).map(records => ({...rest, sharedRules, records}));
		});
}

const sharedName = (prefix: string) => `aaa-${prefix}-shared`;

/** The case's objects, named from `prefix` and labelled for clean-up; records applied to the roles they are on. */
export function caseObjects(c: SecurityCase, prefix: string, multusRole: V1ClusterRole): {clusterRoles: V1ClusterRole[]; clusterRoleBindings: V1ClusterRoleBinding[]; roleBindings: V1RoleBinding[]} {
	const shared = sharedName(prefix);
	const clusterRoles: V1ClusterRole[] = [
		{apiVersion: `${group}/v1`, kind: 'ClusterRole', metadata: {name: shared, labels: {...labels, [`${caseLabel.key}-aggregate`]: prefix}}, rules: c.sharedRules},
		{apiVersion: `${group}/v1`, kind: 'ClusterRole', metadata: {name: 'mallory', labels}, rules: malloryRules},
	];
	if (c.aggregate) {
		clusterRoles.push({apiVersion: `${group}/v1`, kind: 'ClusterRole', metadata: {name: `${prefix}-aggregate`, labels}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {[`${caseLabel.key}-aggregate`]: prefix}}]}});
	}
	const binding = (name: string, role: string, subjects: RbacV1Subject[]): V1ClusterRoleBinding => ({apiVersion: `${group}/v1`, kind: 'ClusterRoleBinding', metadata: {name, labels}, roleRef: {apiGroup: group, kind: 'ClusterRole', name: role}, subjects});
	const clusterRoleBindings = [binding(shared, shared, [multusSa, ...c.sharedWith]), binding('mallory', 'mallory', [{apiGroup: group, kind: 'User', name: 'mallory'}])];
	if (c.aggregate) clusterRoleBindings.push(binding(`${prefix}-aggregate`, `${prefix}-aggregate`, [{apiGroup: group, kind: 'Group', name: 'devs'}]));
	const roleBindings: V1RoleBinding[] = c.roleBinding
		? [{apiVersion: `${group}/v1`, kind: 'RoleBinding', metadata: {name: `${prefix}-reuse`, namespace: teamNamespace, labels}, roleRef: {apiGroup: group, kind: 'ClusterRole', name: shared}, subjects: [{apiGroup: group, kind: 'User', name: 'bob'}]}]
		: [];
	const multus = structuredClone(multusRole);
	for (const record of c.records) {
		const role = record.on === 'multus' ? multus : clusterRoles.find(r => r.metadata?.name === (record.on === 'mallory' ? 'mallory' : shared))!;
		role.metadata = {
			...role.metadata,
			annotations: {...role.metadata?.annotations, 'kubectl-multus.dev/change': record.change, ...(record.previousRules ? {'kubectl-multus.dev/previous-rules': record.previousRules} : {})},
			labels: {...role.metadata?.labels, ...(record.labelOurs ? ourLabel : {})},
		};
	}
	return {clusterRoles: [...clusterRoles, multus], clusterRoleBindings, roleBindings};
}
