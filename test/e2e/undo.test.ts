// `kubectl multus undo`: restores exactly what doctor replaced, and refuses when someone changed the role since.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {applyScenario, deleteScenario, kubectl, runPlugin} from '../helpers/cluster.js';

function rulesJson(): string {
	return JSON.stringify(JSON.parse(kubectl(['get', 'clusterrole', 'multus', '-o', 'json'])).rules);
}

describe('undo', () => {
	after(() => deleteScenario('broken-thick'));

	test('restores the previous rules byte for byte and removes the change record', async () => {
		applyScenario('broken-thick');
		const before = rulesJson();
		assert.equal((await runPlugin(['doctor', '--yes', '--no-restart'])).code, 0);
		assert.notEqual(rulesJson(), before);
		const declined = await runPlugin(['undo']);
		assert.equal(declined.code, 1, 'no TTY and no --yes: nothing changes');
		const result = await runPlugin(['undo', '--yes', '-o', 'json']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		assert.deepEqual(JSON.parse(result.stdout).remove, ['pods [""]: list, watch']);
		assert.equal(rulesJson(), before);
		const annotations = JSON.parse(kubectl(['get', 'clusterrole', 'multus', '-o', 'json'])).metadata.annotations ?? {};
		assert.equal(annotations['kubectl-multus.dev/change'], undefined);
		assert.equal(annotations['kubectl-multus.dev/previous-rules'], undefined);
		const again = await runPlugin(['undo', '--yes']);
		assert.equal(again.code, 1);
		assert.match(again.stderr, /nothing to undo/);
	});

	test('refuses after someone else changed the role, and leaves their change alone', async () => {
		assert.equal((await runPlugin(['doctor', '--yes', '--no-restart'])).code, 0);
		kubectl(['patch', 'clusterrole', 'multus', '--type=json', '-p', '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}}]']);
		const theirs = rulesJson();
		const result = await runPlugin(['undo', '--yes']);
		assert.equal(result.code, 1);
		assert.match(result.stderr, /changed after kubectl multus patched it; refusing to undo/);
		assert.equal(rulesJson(), theirs);
	});
});
