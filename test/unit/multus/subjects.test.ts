import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1RoleBinding} from '@kubernetes/client-node';
import {chooseFixTarget, dedicatedObjects, describeGrantee, granteesOf, isMultusSubject, rolesReaching, type MultusIdentity} from '../../../source/multus/subjects.js';

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

describe('chooseFixTarget: the added rules reach the Multus identity alone', () => {
	const daemonSet = {namespace: 'kube-system', name: 'kube-multus-ds'};
	const rules = [{apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}];
	const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';

	test('a role bound to the Multus ServiceAccount alone is patched; who gains is named', () => {
		const objects = {clusterRoles: [role('multus')], clusterRoleBindings: [crb('multus', 'multus', [sa('kube-system', 'multus')])], roleBindings: []};
		const target = chooseFixTarget({role: 'multus', objects, identity: multus, daemonSet, rules});
		assert.equal(target.kind, 'patch');
		assert.deepEqual(target.kind === 'patch' && target.gains.map(g => describeGrantee(g)), ['ServiceAccount kube-system:multus (ClusterRoleBinding multus)']);
	});

	test('with per-node certificates, the system:multus group binding counts as Multus alone', () => {
		const objects = {clusterRoles: [role('multus')], clusterRoleBindings: [crb('multus', 'multus', [{kind: 'Group', name: 'system:multus'}])], roleBindings: []};
		assert.equal(chooseFixTarget({role: 'multus', objects, identity: perNode, daemonSet, rules}).kind, 'patch');
		// The subjects of the dedicated binding are that group.
		const shared = {...objects, clusterRoleBindings: [crb('multus', 'multus', [{kind: 'Group', name: 'system:multus'}, {kind: 'User', name: 'alice'}])]};
		const target = chooseFixTarget({role: 'multus', objects: shared, identity: perNode, daemonSet, rules});
		assert.deepEqual(target.kind === 'dedicated' && target.binding.subjects, [{apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:multus'}]);
	});

	test('the issue 12 case: a role shared with default:webapp gets a dedicated role and binding for Multus alone', () => {
		const objects = {
			clusterRoles: [role('aaa-shared-pods')],
			clusterRoleBindings: [crb('aaa-shared-pods', 'aaa-shared-pods', [sa('kube-system', 'multus'), sa('default', 'webapp')])],
			roleBindings: [],
		};
		const target = chooseFixTarget({role: 'aaa-shared-pods', objects, identity: multus, daemonSet, rules});
		assert.equal(target.kind, 'dedicated');
		if (target.kind !== 'dedicated') return;
		assert.deepEqual(target.others.map(g => describeGrantee(g)), ['ServiceAccount default:webapp (ClusterRoleBinding aaa-shared-pods)']);
		assert.equal(target.role.metadata?.name, dedicated);
		assert.deepEqual(target.role.metadata?.labels, {'app.kubernetes.io/managed-by': 'kubectl-multus'});
		assert.deepEqual(target.role.rules, rules);
		assert.deepEqual(target.binding.roleRef, {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: dedicated});
		assert.deepEqual(target.binding.subjects, [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}]);
		assert.deepEqual(target.gains.map(g => describeGrantee(g)), [`ServiceAccount kube-system:multus (ClusterRoleBinding ${dedicated})`]);
	});

	test('a RoleBinding of the role to someone else, or a group every ServiceAccount is in, makes it shared too', () => {
		const base = {clusterRoles: [role('multus')], clusterRoleBindings: [crb('multus', 'multus', [sa('kube-system', 'multus')])], roleBindings: []};
		assert.equal(chooseFixTarget({role: 'multus', objects: {...base, roleBindings: [rb('team-a', 'x', 'multus', [{kind: 'User', name: 'alice'}])]}, identity: multus, daemonSet, rules}).kind, 'dedicated');
		assert.equal(chooseFixTarget({role: 'multus', objects: {...base, clusterRoleBindings: [...base.clusterRoleBindings, crb('all-sa', 'multus', [{kind: 'Group', name: 'system:serviceaccounts:kube-system'}])]}, identity: multus, daemonSet, rules}).kind, 'dedicated');
	});

	test('an aggregated role that copies the patched source and is bound to others makes the source shared', () => {
		const objects = {
			clusterRoles: [role('multus-source', {'agg/multus': 'true'}), role('viewers', {}, {'agg/multus': 'true'})],
			clusterRoleBindings: [crb('multus', 'multus-source', [sa('kube-system', 'multus')]), crb('viewers', 'viewers', [{kind: 'Group', name: 'devs'}])],
			roleBindings: [],
		};
		assert.equal(chooseFixTarget({role: 'multus-source', objects, identity: multus, daemonSet, rules}).kind, 'dedicated');
	});

	const shared = {clusterRoles: [role('shared')], clusterRoleBindings: [crb('shared', 'shared', [sa('kube-system', 'multus'), sa('default', 'webapp')])], roleBindings: []};

	test('refused: the dedicated name is taken by a role or binding that is not ours', () => {
		const taken = chooseFixTarget({role: 'shared', objects: {...shared, clusterRoles: [...shared.clusterRoles, role(dedicated)]}, identity: multus, daemonSet, rules});
		assert.deepEqual(taken.kind === 'refused' && taken.reason, `a ClusterRole named ${dedicated} exists and was not made by kubectl multus`);
		const binding = chooseFixTarget({role: 'shared', objects: {...shared, clusterRoleBindings: [...shared.clusterRoleBindings, crb(dedicated, dedicated, [{kind: 'User', name: 'mallory'}])]}, identity: multus, daemonSet, rules});
		assert.equal(binding.kind, 'refused');
	});

	test('refused: a binding made in advance to a role of the dedicated name would hand it to mallory', () => {
		const target = chooseFixTarget({role: 'shared', objects: {...shared, clusterRoleBindings: [...shared.clusterRoleBindings, crb('trap', dedicated, [{kind: 'User', name: 'mallory'}])]}, identity: multus, daemonSet, rules});
		assert.deepEqual(target.kind === 'refused' && target.reason, `a dedicated ClusterRole ${dedicated} would reach User mallory (ClusterRoleBinding trap) too`);
	});

	test('refused: an aggregate that selects our label would copy the dedicated role to its subjects', () => {
		const objects = {...shared, clusterRoles: [...shared.clusterRoles, role('grabs-ours', {}, {'app.kubernetes.io/managed-by': 'kubectl-multus'})], clusterRoleBindings: [...shared.clusterRoleBindings, crb('grabs-ours', 'grabs-ours', [{kind: 'Group', name: 'devs'}])]};
		const target = chooseFixTarget({role: 'shared', objects, identity: multus, daemonSet, rules});
		assert.match(target.kind === 'refused' ? target.reason : '', /would reach Group devs \(ClusterRoleBinding grabs-ours, of aggregated ClusterRole grabs-ours\)/);
	});

	test('a dedicated role and binding from an earlier run are patched like the identity\'s own role', () => {
		const earlier = dedicatedObjects(daemonSet, multus, []);
		const objects = {...shared, clusterRoles: [...shared.clusterRoles, earlier.role], clusterRoleBindings: [...shared.clusterRoleBindings, earlier.binding]};
		assert.deepEqual(chooseFixTarget({role: 'shared', objects, identity: multus, daemonSet, rules}).kind === 'patch' && (chooseFixTarget({role: 'shared', objects, identity: multus, daemonSet, rules}) as {role: string}).role, dedicated);
	});
});
