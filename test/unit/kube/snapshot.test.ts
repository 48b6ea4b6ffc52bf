import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {MultusError} from '../../../source/errors.js';
import {endSnapshot, withRbacSnapshot} from '../../../source/kube/snapshot.js';
import {brokenThick} from '../../helpers/fake-multus.js';
import {runFlow} from '../../helpers/flow.js';

describe('the RBAC snapshot (one read of the RBAC lists until a write)', () => {
	test('a list asked twice is read once; other reads go to the cluster each time', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		const first = await client.listClusterRoles();
		const second = await client.listClusterRoles(undefined);
		assert.equal(second, first);
		await client.listClusterRoleBindings();
		await client.listClusterRoleBindings();
		await client.readDaemonSet('kube-system', 'kube-multus-ds');
		await client.readDaemonSet('kube-system', 'kube-multus-ds');
		assert.equal(cluster.callsOf('listClusterRoles').length, 1);
		assert.equal(cluster.callsOf('listClusterRoleBindings').length, 1);
		assert.equal(cluster.callsOf('readDaemonSet').length, 2);
	});

	test('endSnapshot: the next reads ask the cluster (what another writer changed meanwhile is seen); a client without a snapshot is left as it is', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		await client.listClusterRoles();
		await client.readClusterRole('multus');
		cluster.writeRole('multus', role => role.rules!.push({apiGroups: [''], resources: ['pods'], verbs: ['list']}));
		assert.equal((await client.readClusterRole('multus')).rules!.length, (await cluster.readClusterRole('multus')).rules!.length - 1, 'kept: the old role');
		endSnapshot(client);
		assert.deepEqual((await client.readClusterRole('multus')).rules, (await cluster.readClusterRole('multus')).rules);
		await client.listClusterRoles();
		assert.equal(cluster.callsOf('listClusterRoles').length, 2);
		endSnapshot(cluster);
	});

	test('a ClusterRole read by name twice is read once; while the whole list is kept, it comes from the list', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		const read = await client.readClusterRole('multus');
		assert.equal(await client.readClusterRole('multus'), read);
		assert.equal(cluster.callsOf('readClusterRole').length, 1);

		const listed = withRbacSnapshot(cluster);
		const roles = await listed.listClusterRoles();
		const fromList = await listed.readClusterRole('multus');
		assert.equal(fromList, roles.find(role => role.metadata?.name === 'multus'));
		assert.equal(cluster.callsOf('readClusterRole').length, 1, 'no second request');
		// A list with a selector is not the whole list.
		const selected = withRbacSnapshot(cluster);
		await selected.listClusterRoles('a=b');
		await selected.readClusterRole('multus');
		assert.equal(cluster.callsOf('readClusterRole').length, 2);
	});

	test('a ClusterRole the list does not hold is asked of the cluster, which answers in its own words', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		await client.listClusterRoles();
		const error = await client.readClusterRole('no-such-role').catch((error: unknown) => error);
		assert.ok(error instanceof MultusError);
		assert.equal(error.kind, 'NotFound');
		assert.deepEqual(cluster.callsOf('readClusterRole').map(args => args[0]), ['no-such-role']);
		// Not kept: asked again.
		await client.readClusterRole('no-such-role').catch(() => undefined);
		assert.equal(cluster.callsOf('readClusterRole').length, 2);
	});

	test('after a write, a ClusterRole is read from the cluster again', async () => {
		const cluster = brokenThick();
		const client = withRbacSnapshot(cluster);
		await client.listClusterRoles();
		await client.readClusterRole('multus');
		await client.restartDaemonSet('kube-system', 'kube-multus-ds', '2026-12-01T00:00:00Z', true);
		await client.readClusterRole('multus');
		assert.equal(cluster.callsOf('readClusterRole').length, 1);
		await client.readClusterRole('multus');
		assert.equal(cluster.callsOf('readClusterRole').length, 1, 'kept again until the next write');
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
