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
