// `kubectl multus undo`: takes away exactly what doctor added, refuses when someone changed the role since, and a
// change record (which anyone who may patch a role can write) can only ever make it remove, never grant.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {after, describe, test} from 'node:test';
import {applyScenario, deleteScenario, kubectl, kubectlPath, podsListWatch, runPlugin, testEnv, waitFor} from '../helpers/cluster.js';

const change = 'kubectl-multus.dev/change';
const previous = 'kubectl-multus.dev/previous-rules';
const everything = [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}];
// What mallory may do: read and patch her own ClusterRole, nothing else (issue 12).
const malloryRules = [{apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['mallory'], verbs: ['get', 'patch']}];

function rulesJson(role = 'multus'): string {
	return JSON.stringify(JSON.parse(kubectl(['get', 'clusterrole', role, '-o', 'json'])).rules ?? null);
}

function annotationsOf(role: string): Record<string, string> {
	return JSON.parse(kubectl(['get', 'clusterrole', role, '-o', 'json'])).metadata.annotations ?? {};
}

/** `kubectl auth can-i VERB RESOURCE --as USER` (cluster-wide). */
function can(user: string, verb: string, resource: string): boolean {
	const result = spawnSync(kubectlPath, ['auth', 'can-i', verb, resource, '--all-namespaces', `--as=${user}`], {env: testEnv, encoding: 'utf8'});
	return result.stdout.trim() === 'yes';
}

function forgedRecord(added: unknown[], rulesAfter: unknown[]): string {
	return JSON.stringify({added, at: '2026-01-01T00:00:00Z', by: 'kubectl-multus 0.1.0 (forged)', daemonSet: 'kube-system/kube-multus-ds', rulesAfter});
}

function createMallory(): void {
	kubectl(['create', '-f', '-'], JSON.stringify({
		apiVersion: 'v1',
		kind: 'List',
		items: [
			{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'mallory'}, rules: malloryRules},
			{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name: 'mallory'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mallory'}, subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory'}]},
		],
	}));
}

describe('undo', () => {
	after(() => {
		kubectl(['delete', 'clusterrole,clusterrolebinding', 'mallory', '--ignore-not-found']);
		kubectl(['delete', 'clusterrole', 'junk-record', '--ignore-not-found']);
		deleteScenario('broken-thick');
	});

	test('restores the previous rules byte for byte and removes the change record', async () => {
		applyScenario('broken-thick');
		const before = rulesJson();
		// Without a restart the fix is patched, not proven (exit 7): what undo takes back is the same.
		assert.equal((await runPlugin(['doctor', '--yes', '--no-restart'])).code, 7);
		assert.notEqual(rulesJson(), before);
		const declined = await runPlugin(['undo']);
		assert.equal(declined.code, 1, 'no TTY and no --yes: nothing changes');
		assert.match(declined.stdout, /undo removes:\n {2}- pods \[""\]: list, watch\nIts rules after undo:\n {4}\* \["k8s\.cni\.cncf\.io"\]: \*\n {4}pods, pods\/status \[""\]: get, update\n {4}events \["", "events\.k8s\.io"\]: create, patch, update\n/);
		const result = await runPlugin(['undo', '--yes', '-o', 'json']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const report = JSON.parse(result.stdout);
		assert.deepEqual(report.changes[0].remove, ['pods [""]: list, watch']);
		assert.equal(JSON.stringify(report.changes[0].rulesAfterUndo), before);
		assert.equal(rulesJson(), before);
		const annotations = annotationsOf('multus');
		assert.equal(annotations[change], undefined);
		assert.equal(annotations[previous], undefined);
		const again = await runPlugin(['undo', '--yes']);
		assert.equal(again.code, 1);
		assert.match(again.stderr, /nothing to undo/);
	});

	test('a forged change record never grants: mallory, who may patch only her own ClusterRole, stays without rights (issue 12)', async () => {
		createMallory();
		await waitFor('mallory may patch her role', () => can('mallory', 'patch', 'clusterroles/mallory'));
		assert.equal(can('mallory', '*', '*'), false);
		// As mallory herself: the record claims the doctor added pods list/watch, and "previous rules" of everything.
		kubectl(['--as', 'mallory', 'annotate', '--overwrite', 'clusterrole', 'mallory', `${change}=${forgedRecord([podsListWatch], malloryRules)}`, `${previous}=${JSON.stringify(everything)}`]);
		const malloryBefore = rulesJson('mallory');

		const refused = await runPlugin(['undo', '--yes']);
		assert.equal(can('mallory', '*', '*'), false, 'mallory was granted everything');
		assert.equal(refused.code, 1, refused.stdout + refused.stderr);
		assert.match(refused.stderr, /nothing to undo: every kubectl-multus change record was refused/);
		assert.match(refused.stderr, /ClusterRole mallory: it is not bound to DaemonSet kube-system\/kube-multus-ds's identity/);
		assert.equal(rulesJson('mallory'), malloryBefore);

		// A role with a record that is not one at all: refused by name, no stack trace, and in nobody's way.
		kubectl(['create', '-f', '-'], JSON.stringify({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'junk-record', annotations: {[change]: 'null', [previous]: '[]'}}, rules: []}));
		const junk = await runPlugin(['undo', '--yes']);
		assert.equal(junk.code, 1, junk.stdout + junk.stderr);
		assert.match(junk.stderr, /ClusterRole mallory: it is not bound/);
		assert.match(junk.stderr, /ClusterRole junk-record: its kubectl-multus\.dev\/change annotation is not a change record kubectl multus writes \(it is null, not an object\)/);
		assert.doesNotMatch(junk.stderr, /\n\s+at |Cannot read properties/, 'no stack trace');

		// The same with a record whose addition is really in her role: still not Multus's role.
		kubectl(['--as', 'mallory', 'annotate', '--overwrite', 'clusterrole', 'mallory', `${change}=${forgedRecord(malloryRules, malloryRules)}`]);
		assert.equal((await runPlugin(['undo', '--yes'])).code, 1);
		assert.equal(rulesJson('mallory'), malloryBefore);

		// On the Multus role itself: a record of an addition that is not there, and previous-rules that would wipe it.
		const multusBefore = rulesJson();
		kubectl(['annotate', '--overwrite', 'clusterrole', 'multus', `${change}=${forgedRecord([podsListWatch], JSON.parse(multusBefore))}`, `${previous}=[]`]);
		const wipe = await runPlugin(['undo', '--yes']);
		assert.equal(wipe.code, 1);
		assert.match(wipe.stderr, /ClusterRole multus: the recorded addition "pods \[""\]: list, watch" is not in its rules now/);
		assert.equal(rulesJson(), multusBefore);
		kubectl(['annotate', 'clusterrole', 'multus', `${change}-`, `${previous}-`]);

		// A real fix next to the forged records: undo takes back the real one and names the others.
		assert.equal((await runPlugin(['doctor', '--yes'])).code, 0);
		const result = await runPlugin(['undo', '--yes', '-o', 'json']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.changes[0].clusterRole, 'multus');
		assert.deepEqual(report.ignored.map((refusal: {clusterRole: string}) => refusal.clusterRole).sort(), ['junk-record', 'mallory']);
		assert.equal(rulesJson(), multusBefore);
		assert.equal(rulesJson('mallory'), malloryBefore);
		assert.equal(can('mallory', '*', '*'), false);
		assert.equal(can('mallory', 'list', 'pods'), false);
	});

	test('refuses after someone else changed the role, and leaves their change alone; --force removes only ours', async () => {
		const before = rulesJson();
		assert.equal((await runPlugin(['doctor', '--yes'])).code, 0);
		const configmaps = {apiGroups: [''], resources: ['configmaps'], verbs: ['get']};
		kubectl(['patch', 'clusterrole', 'multus', '--type=json', '-p', JSON.stringify([{op: 'add', path: '/rules/-', value: configmaps}])]);
		const theirs = rulesJson();
		const result = await runPlugin(['undo', '--yes']);
		assert.equal(result.code, 1);
		assert.match(result.stderr, /changed after kubectl multus patched it; refusing to undo/);
		assert.equal(rulesJson(), theirs);
		const forced = await runPlugin(['undo', '--yes', '--force']);
		assert.equal(forced.code, 0, forced.stdout + forced.stderr);
		assert.equal(rulesJson(), JSON.stringify([...JSON.parse(before), configmaps]));
	});

	test('the change record\'s text reaches the terminal escaped, never as control sequences (issue 12, item 3)', async () => {
		kubectl(['patch', 'clusterrole', 'multus', '--type=json', '-p', JSON.stringify([{op: 'remove', path: '/rules/3'}])]);
		assert.equal((await runPlugin(['doctor', '--yes'])).code, 0);
		const record = JSON.parse(annotationsOf('multus')[change]!);
		// An OSC title sequence, a cursor move and a right-to-left override, as someone who may patch the role could write.
		record.by = 'kubectl-multus \u001B]2;pwned\u0007\u001B[2J\u202Eevil';
		kubectl(['annotate', '--overwrite', 'clusterrole', 'multus', `${change}=${JSON.stringify(record)}`]);
		const shown = await runPlugin(['undo']);
		assert.equal(shown.code, 1);
		assert.doesNotMatch(shown.stdout, /[\u001B\u0007\u202E]/);
		assert.match(shown.stdout, /was changed by kubectl-multus \\x1b\]2;pwned\\x07\\x1b\[2J\\u202eevil at /);
		const json = await runPlugin(['undo', '-o', 'json']);
		assert.equal(JSON.parse(json.stdout).changes[0].changedBy, record.by, 'JSON stays exact');
		assert.equal((await runPlugin(['undo', '--yes'])).code, 0);
	});
});
