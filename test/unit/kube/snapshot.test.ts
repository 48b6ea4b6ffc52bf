import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {MultusError} from '../../../source/errors.js';
import {withRbacSnapshot} from '../../../source/kube/snapshot.js';
import {brokenThick} from '../../helpers/fake-multus.js';
import {runFlow} from '../../helpers/flow.js';

describe('the RBAC snapshot (one read of the RBAC lists until a write)', () => {
	test('a list asked twice is read once; other reads go to the cluster each time', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		const first = await client.listClusterRoles();
		const second = await client.listClusterRoles();
		assert.equal(second, first);
		await client.listClusterRoleBindings();
		await client.listClusterRoleBindings();
		await client.readClusterRole('multus');
		await client.readClusterRole('multus');
		assert.equal(cluster.callsOf('listClusterRoles').length, 1);
		assert.equal(cluster.callsOf('listClusterRoleBindings').length, 1);
		assert.equal(cluster.callsOf('readClusterRole').length, 2);
	});

	test('a label selector is its own list', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		await client.listClusterRoles();
		await client.listClusterRoles('a=b');
		await client.listClusterRoles('a=b');
		assert.deepEqual(cluster.callsOf('listClusterRoles').map(args => args[0]), [undefined, 'a=b']);
	});

	test('any write, even one refused, ends the snapshot: the next list reads the cluster again', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		await client.listClusterRoles();
		cluster.fault('patchClusterRole', {error: new MultusError('Conflict', 'changed since it was read', {status: 409})});
		await assert.rejects(client.patchClusterRole('multus', [], false));
		await client.listClusterRoles();
		await client.restartDaemonSet('kube-system', 'kube-multus-ds', '2026-12-01T00:00:00Z', true);
		await client.listClusterRoles();
		assert.equal(cluster.callsOf('listClusterRoles').length, 3);
	});

	test('a failed list is not kept', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		cluster.fault('listRoleBindings', {error: new MultusError('Forbidden', 'rolebindings is forbidden', {status: 403})});
		await assert.rejects(client.listRoleBindings());
		await client.listRoleBindings();
		assert.equal(cluster.callsOf('listRoleBindings').length, 2);
	});

	test('a doctor run lists each RBAC kind once before its patch, and again after a conflict', async () => {
		const plain = brokenThick();
		await runFlow(plain, {check: true});
		assert.equal(plain.callsOf('listClusterRoleBindings').length, 1);
		assert.ok(plain.callsOf('listClusterRoles').length <= 1);
		const conflicted = brokenThick();
		conflicted.fault('patchClusterRole', {error: new MultusError('Conflict', 'changed since it was read', {status: 409})}, {matches: args => args[2] === false});
		const run = await runFlow(conflicted, {yes: true});
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.equal(conflicted.callsOf('listClusterRoleBindings').length, 2, 'the re-plan after the conflict read the bindings again');
	});
});
