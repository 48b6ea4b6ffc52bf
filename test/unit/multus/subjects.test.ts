import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1RoleBinding} from '@kubernetes/client-node';
import {describeGrantee, granteesOf, isMultusSubject, rolesReaching, type MultusIdentity} from '../../../source/multus/subjects.js';

const multus: MultusIdentity = {namespace: 'kube-system', serviceAccount: 'multus', perNodeCertificates: false};
const perNode: MultusIdentity = {...multus, perNodeCertificates: true};
const sa = (namespace: string | undefined, name: string): RbacV1Subject => ({kind: 'ServiceAccount', name, ...(namespace ? {namespace} : {})});

function crb(name: string, role: string, subjects: RbacV1Subject[]): V1ClusterRoleBinding {
	return {metadata: {name}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role}, subjects};
}
function rb(namespace: string, name: string, role: string, subjects: RbacV1Subject[], kind = 'ClusterRole'): V1RoleBinding {
	return {metadata: {name, namespace}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind, name: role}, subjects};
}
function role(name: string, labels: Record<string, string> = {}, aggregateLabels?: Record<string, string>): V1ClusterRole {
	return {metadata: {name, labels}, ...(aggregateLabels ? {aggregationRule: {clusterRoleSelectors: [{matchLabels: aggregateLabels}]}} : {})};
}

describe('isMultusSubject', () => {
	test('the ServiceAccount, as a ServiceAccount or as its user name', () => {
		assert.ok(isMultusSubject(sa('kube-system', 'multus'), multus));
		assert.ok(isMultusSubject({kind: 'User', name: 'system:serviceaccount:kube-system:multus'}, multus));
	});
	test('a ServiceAccount without a namespace in a RoleBinding is in the binding\'s namespace', () => {
		assert.ok(isMultusSubject(sa(undefined, 'multus'), multus, 'kube-system'));
		assert.ok(!isMultusSubject(sa(undefined, 'multus'), multus, 'default'));
	});
	test('another namespace\'s multus, other users, and the groups every ServiceAccount is in are not Multus', () => {
		assert.ok(!isMultusSubject(sa('default', 'multus'), multus));
		assert.ok(!isMultusSubject(sa('default', 'webapp'), multus));
		assert.ok(!isMultusSubject({kind: 'User', name: 'multus'}, multus));
		for (const group of ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated', 'system:multus']) {
			assert.ok(!isMultusSubject({kind: 'Group', name: group}, multus), group);
		}
	});
	test('with per-node certificates: the system:multus group and system:multus:<node> users', () => {
		assert.ok(isMultusSubject({kind: 'Group', name: 'system:multus'}, perNode));
		assert.ok(isMultusSubject({kind: 'User', name: 'system:multus:node-1'}, perNode));
		assert.ok(!isMultusSubject({kind: 'User', name: 'system:multus:node-1:x'}, perNode));
		assert.ok(!isMultusSubject({kind: 'Group', name: 'system:multus-admins'}, perNode));
	});
});

describe('granteesOf', () => {
	test('the issue 12 case: aaa-shared-pods bound to kube-system:multus and default:webapp in one binding', () => {
		const objects = {
			clusterRoles: [role('aaa-shared-pods')],
			clusterRoleBindings: [crb('aaa-shared-pods', 'aaa-shared-pods', [sa('kube-system', 'multus'), sa('default', 'webapp')])],
			roleBindings: [],
		};
		const grantees = granteesOf('aaa-shared-pods', objects, multus);
		assert.deepEqual(grantees.map(g => [describeGrantee(g, 'aaa-shared-pods'), g.multus]), [
			['ServiceAccount kube-system:multus (ClusterRoleBinding aaa-shared-pods)', true],
			['ServiceAccount default:webapp (ClusterRoleBinding aaa-shared-pods)', false],
		]);
	});

	test('RoleBindings to the ClusterRole count, in their namespace; bindings to a Role of that name do not', () => {
		const objects = {
			clusterRoles: [role('multus')],
			clusterRoleBindings: [crb('multus', 'multus', [sa('kube-system', 'multus')])],
			roleBindings: [rb('team-a', 'uses-multus', 'multus', [{kind: 'User', name: 'alice'}]), rb('team-b', 'a-role', 'multus', [{kind: 'User', name: 'bob'}], 'Role')],
		};
		const others = granteesOf('multus', objects, multus).filter(g => !g.multus);
		assert.deepEqual(others.map(g => describeGrantee(g, 'multus')), ['User alice (RoleBinding team-a/uses-multus, in namespace team-a only)']);
	});

	test('an aggregated role that copies the rules brings its own subjects, through nested aggregates too', () => {
		const objects = {
			clusterRoles: [role('multus-source', {'agg/multus': 'true'}), role('multus-agg', {'agg/top': 'true'}, {'agg/multus': 'true'}), role('top', {}, {'agg/top': 'true'})],
			clusterRoleBindings: [crb('multus', 'multus-agg', [sa('kube-system', 'multus')]), crb('admins', 'top', [{kind: 'Group', name: 'admins'}])],
			roleBindings: [],
		};
		assert.deepEqual(rolesReaching('multus-source', objects.clusterRoles).sort(), ['multus-agg', 'multus-source', 'top']);
		const grantees = granteesOf('multus-source', objects, multus);
		assert.deepEqual(grantees.map(g => [describeGrantee(g, 'multus-source'), g.multus]), [
			['ServiceAccount kube-system:multus (ClusterRoleBinding multus, of aggregated ClusterRole multus-agg)', true],
			['Group admins (ClusterRoleBinding admins, of aggregated ClusterRole top)', false],
		]);
	});

	test('a role nobody is bound to reaches nobody', () => {
		assert.deepEqual(granteesOf('lonely', {clusterRoles: [role('lonely')], clusterRoleBindings: [], roleBindings: []}, multus), []);
	});
});
