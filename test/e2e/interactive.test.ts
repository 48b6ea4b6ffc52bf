// The guided doctor in a real terminal (tmux), run as `kubectl multus doctor` through kubectl's plugin mechanism.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {applyScenario, canI, createSharedPodsRole, deleteScenario, kubectl, kubectlJson, kubectlPath, podsListWatch, snapshot, testEnv, waitFor, multusServiceAccount as multus} from '../helpers/cluster.js';
import {startTerminal} from '../helpers/tmux.js';


describe('interactive doctor in a terminal', () => {
	after(() => deleteScenario('broken-thick'));

	test('answered no: shows the evidence and the diff, changes nothing, exit 1', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv);
		t.after(() => terminal.kill());
		const screen = await terminal.waitForScreen(/\[y\/N\]/);
		assert.match(screen, /forbidden list line/);
		assert.match(screen, /cannot list pods at cluster scope/);
		assert.match(screen, /pods \[""\]: list, watch/);
		await terminal.answer('n');
		assert.equal(await terminal.waitForExit(), 1);
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.equal(after.resourceVersion, before.resourceVersion);
		assert.equal(after.generation, before.generation);
		assert.deepEqual(after.pods, before.pods);
	});

	test('answered yes: patches only the missing verbs, rolls every pod, verifies, exit 0', async t => {
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		await terminal.answer('y');
		const code = await terminal.waitForExit();
		const screen = terminal.screen();
		assert.equal(code, 0, screen);
		assert.match(screen, /Rollout\s+3\/3 updated\s+3\/3 ready\s+3\/3 available/);
		assert.match(screen, /Fixed:/);
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.deepEqual(after.rules, [...before.rules, {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}]);
		assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));
		const pods = kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items;
		assert.equal(pods.length, before.pods.length);
		for (const pod of pods) {
			assert.ok(!before.pods.includes(pod.metadata.name), `${pod.metadata.name} replaced`);
			assert.equal(pod.status.conditions.find((c: any) => c.type === 'Ready')?.status, 'True');
		}
	});

	test('80x20: the plan goes above the question; the scrollback holds each step once and no copy of a frame; y fixes and proves', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const rows = 20;
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv, {columns: 80, rows});
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		// capture-pane prints the scrollback, then the screen's rows: the question and its keys are on the screen.
		const shown = terminal.screen().replace(/\n+$/, '').split('\n').slice(-rows).join('\n');
		assert.match(shown, /Apply this change to ClusterRole multus\? \[y\/N\]/);
		assert.match(shown, /y apply · n, Enter or Esc decline · d print the JSON patch above/);
		assert.match(shown, /printed above/);
		terminal.send('d');
		await terminal.waitForScreen(/JSON patch:/);
		await terminal.answer('y');
		const code = await terminal.waitForExit();
		const screen = terminal.screen();
		assert.equal(code, 0, screen);
		const count = (pattern: RegExp) => [...screen.matchAll(new RegExp(pattern, 'gm'))].length;
		assert.equal(count(/kubectl multus doctor {2}context/), 1, `the header once:\n${screen}`);
		for (const title of ['Connect', 'Find Multus', 'Detect', 'Current vs needed', 'Confirm', 'Patch', 'Restart', 'Rollout', 'Verify']) {
			assert.equal(count(new RegExp(`^[✔✖·–?] ${title}\\b`)), 1, `${title} once:\n${screen}`);
		}
		assert.equal(count(/\[y\/N\]/), 0, 'no copy of the question left in the scrollback');
		assert.equal(count(/JSON patch:/), 1, 'the patch asked for, printed once');
		assert.equal(count(/ClusterRole multus now:/), 1, 'the rule diff once');
		assert.match(screen, /✔ proven by the daemons themselves/);
		assert.equal(count(/✔ Fixed:/), 1);
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
	});

	test('120x20, the longest plan (a dedicated role, d for its YAML): printed above once, the question on the screen, y creates and proves', async t => {
		applyScenario('broken-thick');
		const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';
		t.after(() => kubectl(['delete', 'clusterrole,clusterrolebinding', 'aaa-shared-pods', dedicated, '--ignore-not-found']));
		// Sorted first and about pods, bound to webapp too: the doctor leaves it and creates a role of its own.
		createSharedPodsRole();
		await waitFor('multus may get pods through aaa-shared-pods', () => canI('get', 'pods', multus));
		const rows = 20;
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv, {columns: 120, rows});
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/binding to ServiceAccount kube-system:multus\?\s+\[y\/N\]/);
		terminal.send('d');
		await terminal.waitForScreen(/Created as with kubectl create -f -/);
		const shown = terminal.screen().replace(/\n+$/, '').split('\n').slice(-rows).join('\n');
		assert.match(shown, /Create ClusterRole kubectl-multus:kube-system:kube-multus-ds and its binding/);
		assert.match(shown, /y apply · n, Enter or Esc decline · Ctrl-C cancel/);
		await terminal.answer('y');
		const code = await terminal.waitForExit();
		const screen = terminal.screen();
		assert.equal(code, 0, screen);
		const count = (pattern: RegExp) => [...screen.matchAll(new RegExp(pattern, 'gm'))].length;
		assert.equal(count(/^✔ Current vs needed/), 1, `the plan once:\n${screen}`);
		assert.equal(count(/Created as with kubectl create -f -/), 1, 'its YAML once');
		assert.equal(count(/\[y\/N\]/), 0, 'no copy of the question');
		assert.equal(count(/✔ Fixed:/), 1);
		assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));
	});
});
