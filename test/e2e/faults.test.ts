// Real faults in the middle of a doctor run on the local cluster: the API server dies during the rollout,
// someone writes the ClusterRole while we ask, the DaemonSet disappears, a node has no room, the user presses
// Ctrl-C. Each test asserts the exit code, what the user reads, and what the cluster looks like afterwards.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {applyScenario, canI, deleteScenario, kubectl, kubectlJson, kubectlPath, repoRoot, snapshot, testEnv, waitFor, multusServiceAccount as multus, podsListWatch} from '../helpers/cluster.js';
import {
	apiserverReady,
	componentRunning,
	createSmallNode,
	deleteNode,
	killComponent,
	phrase,
	restartComponent,
	restoreControlPlane,
	signalComponent,
	sleep,
	slowRollout,
	startPlugin,
	whileApiserverStopped,
} from '../helpers/faults.js';
import {startTerminal} from '../helpers/tmux.js';

const configMapsGet = {apiGroups: [''], resources: ['configmaps'], verbs: ['get']};

function multusPods(): any[] {
	return kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items;
}

function assertUnchanged(before: ReturnType<typeof snapshot>, after: ReturnType<typeof snapshot>): void {
	assert.deepEqual(after.rules, before.rules, 'ClusterRole rules unchanged');
	assert.equal(after.resourceVersion, before.resourceVersion, 'ClusterRole not written at all');
	assert.equal(after.generation, before.generation, 'DaemonSet not restarted');
	assert.deepEqual(after.pods, before.pods, 'same pods');
}

describe('faults during a doctor run', () => {
	after(async () => {
		deleteNode('faults-small');
		for (const scenario of ['broken-thick', 'ondelete-thick']) deleteScenario(scenario);
		// Whatever a failed test left behind: every control-plane process running (and none frozen) again.
		if (componentRunning('kube-apiserver')) signalComponent('kube-apiserver', 'SIGCONT');
		await restoreControlPlane();
	});

	test('the API server is killed and restarted during the rollout: the doctor resumes its watches and finishes (exit 0)', async t => {
		const started = Date.now();
		const mark = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
		applyScenario('broken-thick');
		await slowRollout('kube-system', 'kube-multus-ds', 4);
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const doctor = startPlugin(['doctor', '--yes']);
		await doctor.waitForOutput(/\[8\/9\] Rollout/);
		await sleep(1000);
		assert.doesNotMatch(doctor.output(), /successfully rolled out/, 'the outage must hit a rollout in progress');
		await killComponent('kube-apiserver');
		mark('kube-apiserver killed');
		assert.equal(apiserverReady(), false);
		await sleep(2000);
		// The controllers exit when the outage outlasts their lease (slow start under load): started again then.
		const restarted = await restoreControlPlane();
		assert.ok(restarted.includes('kube-apiserver'));
		mark(`restarted ${restarted.join(', ')}`);
		// A real control plane restarts its controllers with the apiserver; left running, the controller manager
		// may sit on stale expectations (the rollout stalls for a minute or more) or stop collecting garbage.
		for (const name of ['kube-controller-manager', 'kube-scheduler'] as const) {
			if (!restarted.includes(name)) await restartComponent(name);
		}
		mark('controllers restarted');
		const result = await doctor.done;
		mark(`doctor exited ${result.code}, rollout ${/available\s+([\d.]+ ?m?s)/.exec(result.stdout)?.[1] ?? '?'}`);
		assert.match(result.stdout, /\(watch resumed \d+×\)/);
		assert.match(result.stdout, /daemon set "kube-multus-ds" successfully rolled out/);
		// The daemons started after the outage prove it in their own words. One that was ready before it may have its
		// re-list denied while the restarted apiserver's authorizer fills its caches; its retry then gets through
		// silently, so it is said and the verdict is "patched, not proven" (exit 7), never Fixed and never not fixed.
		// Proven daemons share one line; each other one has its own, with its reason.
		const others = result.stdout.split('\n').filter(line => /^\s+[✖!…] kube-multus-ds-\S+ on /.test(line));
		const interrupted = others.filter(line => /^\s+! .*: its informers synced and it was ready, then it was denied (once|\d+ times) .*not again in the \d+ s since, past its reflector's retry; but a retry that succeeds prints nothing/.test(line));
		mark(`${others.length} daemon(s) not proven, ${interrupted.length} of them denied after they were ready`);
		if (result.code === 0) {
			assert.match(result.stdout, /new daemons' own words: ([1-3]) of \1 proven/);
			assert.match(result.stdout, /^Fixed: /m);
		} else {
			assert.equal(result.code, 7, result.stdout + result.stderr);
			assert.ok(interrupted.length > 0 && interrupted.length === others.length, `only daemons denied after they were ready go unproven:\n${result.stdout}`);
			const count = [...result.stdout.matchAll(/new daemons' own words: (\d) of (\d) proven/g)].at(-1);
			assert.ok(count && Number(count[2]) - Number(count[1]) === interrupted.length, result.stdout);
			assert.match(result.stdout, /^Patched, not proven: /m);
			assert.doesNotMatch(result.stdout, /^Fixed: /m);
		}
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.deepEqual(after.rules, [...before.rules, podsListWatch]);
		for (const pod of multusPods()) {
			assert.ok(!before.pods.includes(pod.metadata.name), `${pod.metadata.name} replaced`);
			assert.equal(pod.status.conditions.find((c: any) => c.type === 'Ready')?.status, 'True');
		}
	});

	test('the DaemonSet is deleted during the rollout: exit 5, said plainly, the patch stays', async () => {
		applyScenario('broken-thick');
		await slowRollout('kube-system', 'kube-multus-ds', 4);
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const doctor = startPlugin(['doctor', '--yes']);
		await doctor.waitForOutput(/\[8\/9\] Rollout/);
		kubectl(['-n', 'kube-system', 'delete', 'ds', 'kube-multus-ds', '--wait=false']);
		const result = await doctor.done;
		assert.equal(result.code, 5, result.stdout + result.stderr);
		assert.match(result.stdout, /DaemonSet kube-system\/kube-multus-ds was deleted during the rollout/);
		assert.match(result.stdout, /someone removed Multus; reinstall it, then run kubectl multus doctor again/);
		assert.match(result.stdout, /ClusterRole multus was patched and the DaemonSet restart was started/);
		assert.deepEqual(kubectlJson(['get', 'clusterrole', 'multus']).rules, [...before.rules, podsListWatch]);
	});

	test('OnDelete update strategy: patched, no restart and no rollout wait, said plainly; pods untouched; not proven without a restart (exit 7)', async () => {
		deleteScenario('broken-thick');
		// scripts/cluster apply waits with kubectl rollout status, which refuses OnDelete: apply it ourselves.
		kubectl(['apply', '-f', `${repoRoot}/scenarios/ondelete-thick.yaml`]);
		const nodes = kubectlJson(['get', 'nodes']).items.length;
		await waitFor('OnDelete pods ready', () => {
			const ds = kubectlJson(['-n', 'kube-system', 'get', 'ds', 'kube-multus-ds']);
			return ds.status?.numberReady === nodes;
		});
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const started = Date.now();
		const doctor = startPlugin(['doctor', '--yes']);
		const result = await doctor.done;
		// No daemon was restarted, so none can say its informers synced: patched, not proven.
		assert.equal(result.code, 7, result.stdout + result.stderr);
		assert.ok(Date.now() - started < 30_000, 'no wait for a rollout that cannot happen');
		assert.match(result.stdout, /uses the OnDelete update strategy: a restart only replaces pods when they are deleted, so the doctor does not restart or wait/);
		assert.match(result.stdout, /kubectl -n kube-system delete pod -l name=multus --field-selector spec\.nodeName=NODE/);
		assert.match(result.stdout, /^\[7\/9\] Restart\n {4}skipped\n/m, 'the started step says skipped once, under its header');
		assert.doesNotMatch(result.stdout, /Restart: skipped/);
		assert.match(result.stdout, /\[8\/9\] Rollout: skipped/);
		assert.match(result.stdout, /running daemons' own words: 0 of \d proven/);
		assert.match(result.stdout, /^Patched, not proven: .*(a daemon that was not restarted prints nothing|no forbidden line since the fix)/m);
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.deepEqual(after.rules, [...before.rules, podsListWatch]);
		assert.equal(after.generation, before.generation, 'DaemonSet not restarted');
		assert.deepEqual(after.pods, before.pods, 'same pods');
		assert.deepEqual(after.template, before.template);
		deleteScenario('ondelete-thick');
	});

	test('a rollout that cannot finish: --timeout 10s gives exit 5 naming the node without room and why', async () => {
		applyScenario('broken-thick');
		createSmallNode('faults-small');
		try {
			const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
			const started = Date.now();
			const result = await startPlugin(['doctor', '--yes', '--timeout', '10s']).done;
			assert.equal(result.code, 5, result.stdout + result.stderr);
			assert.ok(Date.now() - started < 40_000);
			assert.match(result.stdout, /rollout of DaemonSet kube-system\/kube-multus-ds did not finish within 10s/);
			assert.match(result.stdout, /Still pending on \d+ node\(s\): faults-small \(kube-multus-ds-\w+: Unschedulable: 0\/\d+ nodes are available: 1 Insufficient cpu/);
			assert.match(result.stdout, /the ClusterRole fix is in place; the rollout continues in the background/);
			assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
		} finally {
			deleteNode('faults-small');
		}
	});

	test('someone writes the ClusterRole while we ask: conflict detected, re-planned, asked again; no lost update (exit 0)', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		// Another writer, between our diff and our patch: an unrelated rule.
		kubectl(['patch', 'clusterrole', 'multus', '--type=json', '-p', JSON.stringify([{op: 'add', path: '/rules/-', value: configMapsGet}])]);
		await terminal.answer('y');
		// The first answer is recorded, and the same question comes back for the re-read role.
		await terminal.waitForScreen(/Confirm\s+yes[\s\S]*\[y\/N\]/);
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, configMapsGet], 'nothing patched before the second yes');
		await terminal.answer('y');
		const code = await terminal.waitForExit();
		const screen = terminal.screen();
		assert.equal(code, 0, screen);
		assert.match(screen, phrase('ClusterRole multus changed while we were asking (someone else wrote it): re-reading it and planning again.'));
		assert.match(screen, /Fixed:/);
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.deepEqual(after.rules, [...before.rules, configMapsGet, podsListWatch], 'their rule and ours, nothing lost');
		assert.deepEqual(JSON.parse(after.annotations['kubectl-multus.dev/previous-rules']), [...before.rules, configMapsGet], 'undo would restore their change too');
		assert.ok(canI('list', 'pods', multus) && canI('watch', 'pods', multus));
	});

	test('the API server freezes as we patch (SIGSTOP): read back until --timeout, then exit 3, the patch said to be in doubt, how to check', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		// --timeout also bounds how long the doctor reads the role back after a write that got no answer.
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor', '--request-timeout', '2s', '--timeout', '5s'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		const code = await whileApiserverStopped(async () => {
			await terminal.answer('y');
			return terminal.waitForExit(30_000);
		});
		const screen = terminal.screen();
		assert.equal(code, 3, screen);
		assert.match(screen, phrase('cannot patch ClusterRole multus: no answer from the API server at'));
		assert.match(screen, phrase('The patch of ClusterRole multus got no answer (no answer from the API server at'));
		assert.match(screen, phrase('reading the role back to see whether it landed.'));
		// It cannot know whether the write landed, so it must not claim that nothing changed.
		assert.match(screen, phrase('ClusterRole multus may or may not have been patched (the request got no answer): kubectl get clusterrole multus -o yaml shows it'));
		assert.doesNotMatch(screen, /Nothing in the\s+cluster was changed/);
		await waitFor('the apiserver to answer again', () => apiserverReady());
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.equal(after.generation, before.generation, 'no restart after a patch in doubt');
	});

	test('Ctrl-C while the doctor reads back a patch that got no answer: exit 1, the patch still said to be in doubt, never "nothing was changed"', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor', '--request-timeout', '2s'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		const code = await whileApiserverStopped(async () => {
			await terminal.answer('y');
			// The patch times out after 2 s; from then on the doctor reads the role back (until --timeout, 5m).
			await sleep(4000);
			terminal.send('C-c');
			return terminal.waitForExit(30_000);
		});
		const screen = terminal.screen();
		assert.equal(code, 1, screen);
		assert.match(screen, phrase('Cancelled during patch. ClusterRole multus may or may not have been patched (the request got no answer): kubectl get clusterrole multus -o yaml shows it'));
		assert.doesNotMatch(screen, /Nothing in the\s+cluster was changed/);
		await waitFor('the apiserver to answer again', () => apiserverReady());
		assert.equal(snapshot('multus', 'kube-system', 'kube-multus-ds').generation, before.generation, 'no restart after a patch in doubt');
	});

	test('SIGINT without a terminal during the rollout: stops at a safe point, says the patch and restart stand, exit 1', async () => {
		applyScenario('broken-thick');
		await slowRollout('kube-system', 'kube-multus-ds', 3);
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const doctor = startPlugin(['doctor', '--yes']);
		await doctor.waitForOutput(/\[8\/9\] Rollout/);
		doctor.signal('SIGINT');
		const result = await doctor.done;
		assert.equal(result.code, 1, result.stdout + result.stderr);
		// No terminal: the SIGINT is a CI runner's or kill's, said by its name, not as the user's Ctrl-C.
		assert.match(result.stderr, /cancelling \(SIGINT\): stopping at the next safe point \(a second signal quits now\)/);
		assert.doesNotMatch(result.stderr + result.stdout, /Ctrl-C/);
		assert.match(result.stdout, /Cancelled during rollout\. ClusterRole multus was patched and the DaemonSet restart was started; the DaemonSet controller finishes the rollout by itself/);
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
		kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=60s']);
	});

	test('Ctrl-C at the confirm prompt: nothing changed, said so, exit 1', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		terminal.send('C-c');
		const code = await terminal.waitForExit(30_000);
		const screen = terminal.screen();
		assert.equal(code, 1, screen);
		assert.match(screen, phrase('Cancelled during confirm. Nothing in the cluster was changed.'));
		assertUnchanged(before, snapshot('multus', 'kube-system', 'kube-multus-ds'));
	});

	test('Ctrl-C during the rollout: says the ClusterRole was patched and the restart continues, exit 1', async t => {
		await slowRollout('kube-system', 'kube-multus-ds', 3);
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		await terminal.answer('y');
		// In the rollout step by the doctor's own screen (kubectl's status line is drawn by that step alone), not by
		// the DaemonSet's generation: that moves when the server applies the restart, before the doctor has read its
		// answer, and a Ctrl-C in between is a stop during the restart. The rollout takes 9 s or more from there.
		await terminal.waitForScreen(/Waiting\s+for\s+daemon\s+set\s+"kube-multus-ds"\s+rollout\s+to\s+finish/);
		terminal.send('C-c');
		const code = await terminal.waitForExit(30_000);
		const screen = terminal.screen();
		assert.equal(code, 1, screen);
		assert.match(screen, phrase('Cancelled during rollout. ClusterRole multus was patched and the DaemonSet restart was started; the DaemonSet controller finishes the rollout by itself'));
		// A Ctrl-C that lands while a node is between its old pod and its new one names that node as between, never as lost.
		assert.doesNotMatch(screen, /until\s+the\s+DaemonSet\s+controller\s+can\s+create\s+it/);
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
		// And it does: the controller finishes the rollout without us.
		kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=60s']);
		for (const pod of multusPods()) assert.ok(!before.pods.includes(pod.metadata.name), `${pod.metadata.name} replaced`);
	});

	test('SIGTERM in the terminal view during the rollout: stops as Ctrl-C does, says the patch and restart stand, exit 1', async t => {
		applyScenario('broken-thick');
		await slowRollout('kube-system', 'kube-multus-ds', 3);
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		await terminal.answer('y');
		await terminal.waitForScreen(/Waiting\s+for\s+daemon\s+set\s+"kube-multus-ds"\s+rollout\s+to\s+finish/);
		// `kill` from another terminal: before, the terminal view died at once (143), the rollout left drawn as running.
		terminal.signal('SIGTERM');
		const code = await terminal.waitForExit(30_000);
		const screen = terminal.screen();
		assert.equal(code, 1, screen);
		assert.match(screen, phrase('Cancelled during rollout. ClusterRole multus was patched and the DaemonSet restart was started; the DaemonSet controller finishes the rollout by itself'));
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
		kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=60s']);
	});

	test('SIGTERM then SIGHUP in the terminal view: never a silent death; the screen says where the cluster stands', async t => {
		applyScenario('broken-thick');
		await slowRollout('kube-system', 'kube-multus-ds', 3);
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv);
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		await terminal.answer('y');
		await terminal.waitForScreen(/Waiting\s+for\s+daemon\s+set\s+"kube-multus-ds"\s+rollout\s+to\s+finish/);
		// Two different signals: the kernel would merge a second SIGTERM sent before the first was handled. The
		// second quits at once (130) unless the rollout had already stopped at its safe point by then (1).
		terminal.signal('SIGTERM');
		terminal.signal('SIGHUP');
		const code = await terminal.waitForExit(30_000);
		const screen = terminal.screen();
		assert.ok(code === 130 || code === 1, `exit ${code}:\n${screen}`);
		assert.match(screen, code === 130 ? /quit\s+without\s+waiting/ : /Cancelled\s+during\s+rollout\./);
		assert.match(screen, /ClusterRole\s+multus\s+was\s+patched/);
		kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=60s']);
	});
});
