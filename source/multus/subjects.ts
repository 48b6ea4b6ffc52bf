import type {RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1RoleBinding} from '@kubernetes/client-node';
import {aggregationSources} from './rbac.js';
import {perNodeCertificateGroup} from './discovery.js';

/*
 * Who a ClusterRole's rules reach: every subject of every ClusterRoleBinding and RoleBinding to it, and to every
 * aggregated ClusterRole that copies its rules. A rule added to a role reaches all of them, so the doctor may
 * patch a role only when every one of them is the Multus daemon itself. Pure: the objects come from the caller.
 */

/** The Multus daemon as RBAC knows it: its ServiceAccount, or (per-node certificates) system:multus:<node>. */
export interface MultusIdentity {
	namespace: string;
	serviceAccount: string;
	perNodeCertificates: boolean;
}

/** One subject a role's rules reach, through which binding, and whether it is the Multus daemon. */
export interface Grantee {
	subject: RbacV1Subject;
	/** `ClusterRoleBinding NAME` or `RoleBinding NAMESPACE/NAME`. */
	binding: string;
	/** Where the binding grants: the whole cluster, or one namespace. */
	namespace: string | undefined;
	/** The role the binding names: the role itself, or an aggregate that copies its rules. */
	role: string;
	multus: boolean;
}

/** The RBAC objects a decision looks at. */
export interface RbacObjects {
	clusterRoles: readonly V1ClusterRole[];
	clusterRoleBindings: readonly V1ClusterRoleBinding[];
	roleBindings: readonly V1RoleBinding[];
}

/**
 * True when `subject` (of a binding in `bindingNamespace`, for RoleBindings) is the Multus daemon: its
 * ServiceAccount (as a ServiceAccount or as its user name), or with per-node certificates a system:multus:<node>
 * user or the system:multus group those certificates carry. Never a group every ServiceAccount is in.
 */
export function isMultusSubject(subject: RbacV1Subject, identity: MultusIdentity, bindingNamespace?: string): boolean {
	const {namespace, serviceAccount} = identity;
	if (subject.kind === 'ServiceAccount') {
		return subject.name === serviceAccount && (subject.namespace || bindingNamespace) === namespace;
	}
	if (subject.kind === 'User') {
		if (subject.name === `system:serviceaccount:${namespace}:${serviceAccount}`) return true;
		return identity.perNodeCertificates && /^system:multus:[^:]+$/.test(subject.name);
	}
	if (subject.kind === 'Group') return identity.perNodeCertificates && subject.name === perNodeCertificateGroup;
	return false;
}

/** One line for a subject, kubectl-ish: `ServiceAccount default:webapp`, `User alice`, `Group devs`. */
export function describeSubject(subject: RbacV1Subject, bindingNamespace?: string): string {
	if (subject.kind === 'ServiceAccount') return `ServiceAccount ${subject.namespace || bindingNamespace || ''}:${subject.name}`;
	return `${subject.kind} ${subject.name}`;
}

/** `role` and every aggregated ClusterRole whose rules include it, directly or through other aggregates. */
export function rolesReaching(role: string, clusterRoles: readonly V1ClusterRole[]): string[] {
	const reached = new Set([role]);
	const aggregates = clusterRoles.filter(candidate => candidate.aggregationRule);
	for (let grown = true; grown; ) {
		grown = false;
		for (const aggregate of aggregates) {
			const name = aggregate.metadata?.name ?? '';
			if (reached.has(name)) continue;
			if (aggregationSources(aggregate, [...clusterRoles]).some(source => reached.has(source.metadata?.name ?? ''))) {
				reached.add(name);
				grown = true;
			}
		}
	}
	return [...reached];
}

/**
 * Every subject the rules of ClusterRole `role` reach (see rolesReaching), with the binding that grants it.
 * `role` may be one that does not exist yet (a dedicated role about to be created): include it in clusterRoles,
 * with its labels, to see whether an aggregate would pick it up.
 */
export function granteesOf(role: string, objects: RbacObjects, identity: MultusIdentity): Grantee[] {
	const roles = new Set(rolesReaching(role, objects.clusterRoles));
	const grantees: Grantee[] = [];
	for (const binding of objects.clusterRoleBindings) {
		if (binding.roleRef.kind !== 'ClusterRole' || !roles.has(binding.roleRef.name)) continue;
		for (const subject of binding.subjects ?? []) {
			grantees.push({subject, binding: `ClusterRoleBinding ${binding.metadata?.name ?? ''}`, namespace: undefined, role: binding.roleRef.name, multus: isMultusSubject(subject, identity)});
		}
	}
	for (const binding of objects.roleBindings) {
		if (binding.roleRef.kind !== 'ClusterRole' || !roles.has(binding.roleRef.name)) continue;
		const namespace = binding.metadata?.namespace ?? '';
		for (const subject of binding.subjects ?? []) {
			grantees.push({subject, binding: `RoleBinding ${namespace}/${binding.metadata?.name ?? ''}`, namespace, role: binding.roleRef.name, multus: isMultusSubject(subject, identity, namespace)});
		}
	}
	return grantees;
}

/** One line for a grantee: `ServiceAccount default:webapp (ClusterRoleBinding aaa-shared-pods)`, with scope and role. */
export function describeGrantee(grantee: Grantee, role?: string): string {
	const via = [grantee.binding, ...(grantee.role === role || role === undefined ? [] : [`of aggregated ClusterRole ${grantee.role}`]), ...(grantee.namespace === undefined ? [] : [`in namespace ${grantee.namespace} only`])];
	return `${describeSubject(grantee.subject, grantee.namespace)} (${via.join(', ')})`;
}

// ---- where the fix goes: the role itself, or a dedicated role for the Multus identity alone

/** The label on the objects the doctor creates: whose they are, for people, tools and undo. */
export const managedByLabel = {key: 'app.kubernetes.io/managed-by', value: 'kubectl-multus'} as const;

/** The name of the dedicated ClusterRole and ClusterRoleBinding for one DaemonSet: `kubectl-multus:NAMESPACE:NAME`. */
export function dedicatedName(daemonSet: {namespace: string; name: string}): string {
	return `kubectl-multus:${daemonSet.namespace}:${daemonSet.name}`;
}

/** The binding subjects that are the Multus identity and nobody else: its ServiceAccount, or the per-node group. */
export function multusSubjects(identity: MultusIdentity): RbacV1Subject[] {
	return identity.perNodeCertificates
		? [{apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: perNodeCertificateGroup}]
		: [{kind: 'ServiceAccount', name: identity.serviceAccount, namespace: identity.namespace}];
}

/** True when a ClusterRole or ClusterRoleBinding carries our label. */
export function isOurs(object: {metadata?: {labels?: Record<string, string>}}): boolean {
	return object.metadata?.labels?.[managedByLabel.key] === managedByLabel.value;
}

/** The dedicated ClusterRole (granting `rules`) and its ClusterRoleBinding to the Multus identity alone. */
export function dedicatedObjects(
	daemonSet: {namespace: string; name: string},
	identity: MultusIdentity,
	rules: V1ClusterRole['rules'],
	annotations: Record<string, string> = {},
): {role: V1ClusterRole; binding: V1ClusterRoleBinding} {
	const name = dedicatedName(daemonSet);
	const labels = {[managedByLabel.key]: managedByLabel.value};
	return {
		role: {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name, labels, annotations}, rules: rules ?? []},
		binding: {
			apiVersion: 'rbac.authorization.k8s.io/v1',
			kind: 'ClusterRoleBinding',
			metadata: {name, labels},
			roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name},
			subjects: multusSubjects(identity),
		},
	};
}

/** Where the fix goes, who gains by it, and who else was bound to the role that is left alone. */
export type FixTarget =
	| {kind: 'patch'; role: string; gains: Grantee[]}
	| {
			kind: 'dedicated';
			sharedRole: string;
			others: Grantee[];
			role: V1ClusterRole;
			binding: V1ClusterRoleBinding;
			gains: Grantee[];
			/** What an interrupted earlier run left of the two (ours; the binding exactly as planned, the role's rules unchecked). */
			existing: {role: V1ClusterRole | undefined; binding: V1ClusterRoleBinding | undefined};
	  }
	| {kind: 'refused'; sharedRole: string; others: Grantee[]; reason: string};

/**
 * Decides where rules the Multus identity lacks may go without reaching anyone else. `role` is the role the
 * doctor would patch: it is patched only when every subject its rules reach (granteesOf) is the Multus identity.
 * Otherwise the rules go to a dedicated ClusterRole bound to the identity alone, which is refused when its name is
 * taken by something that is not ours, or when anyone but the identity would reach it (an aggregate that selects
 * our label, or a binding someone made in advance to a role of that name). A dedicated role from an earlier run
 * is patched like any role of the identity's own.
 */
export function chooseFixTarget(input: {
	role: string;
	objects: RbacObjects;
	identity: MultusIdentity;
	daemonSet: {namespace: string; name: string};
	rules: V1ClusterRole['rules'];
}): FixTarget {
	const {role, objects, identity, daemonSet, rules} = input;
	const grantees = granteesOf(role, objects, identity);
	if (grantees.every(grantee => grantee.multus)) return {kind: 'patch', role, gains: grantees};
	const others = grantees.filter(grantee => !grantee.multus);
	const refused = (reason: string): FixTarget => ({kind: 'refused', sharedRole: role, others, reason});
	const name = dedicatedName(daemonSet);
	const existingRole = objects.clusterRoles.find(candidate => candidate.metadata?.name === name);
	const existingBinding = objects.clusterRoleBindings.find(candidate => candidate.metadata?.name === name);
	const wanted = dedicatedObjects(daemonSet, identity, rules);
	if (existingRole && !isOurs(existingRole)) return refused(`a ClusterRole named ${name} exists and was not made by kubectl multus`);
	if (existingBinding && !(isOurs(existingBinding) && sameBinding(existingBinding, wanted.binding))) {
		return refused(`a ClusterRoleBinding named ${name} exists and is not the one kubectl multus makes (ClusterRole ${name} to ${multusSubjects(identity).map(subject => describeSubject(subject)).join(', ')} alone)`);
	}
	const withDedicated: RbacObjects = {
		clusterRoles: existingRole ? objects.clusterRoles : [...objects.clusterRoles, wanted.role],
		clusterRoleBindings: existingBinding ? objects.clusterRoleBindings : [...objects.clusterRoleBindings, wanted.binding],
		roleBindings: objects.roleBindings,
	};
	const gains = granteesOf(name, withDedicated, identity);
	const strangers = gains.filter(grantee => !grantee.multus);
	if (strangers.length > 0) {
		return refused(`a dedicated ClusterRole ${name} would reach ${strangers.map(grantee => describeGrantee(grantee, name)).join(', ')} too`);
	}
	if (existingRole && existingBinding) return {kind: 'patch', role: name, gains};
	// One of the two left from an interrupted run is created again: the write accepts an object exactly like it.
	return {kind: 'dedicated', sharedRole: role, others, role: wanted.role, binding: wanted.binding, gains, existing: {role: existingRole, binding: existingBinding}};
}

function subjectKey(subject: RbacV1Subject): string {
	return JSON.stringify([subject.kind, subject.name, subject.kind === 'ServiceAccount' ? (subject.namespace ?? '') : '']);
}

/** The same grant: the same ClusterRole to exactly the same subjects (in any order). */
export function sameBinding(a: V1ClusterRoleBinding, b: V1ClusterRoleBinding): boolean {
	const keys = (binding: V1ClusterRoleBinding) => JSON.stringify((binding.subjects ?? []).map(subjectKey).sort());
	return a.roleRef.kind === b.roleRef.kind && a.roleRef.name === b.roleRef.name && keys(a) === keys(b);
}
