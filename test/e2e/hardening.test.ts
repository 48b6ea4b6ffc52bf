// Hardening (issue #12, items 4-12) against the real cluster: what the doctor does with a pipe that closes, logs
// that hold the error only at their end, and a restart that cannot create its pods.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {applyScenario, deleteScenario, kubectl, kubectlJson, runPlugin, snapshot, testEnv, waitFor} from '../helpers/cluster.js';
import {clusterDir} from '../helpers/faults.js';

/** Runs a shell pipeline with the test cluster's environment; resolves with its exit code and output. */
function shell(script: string): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise((resolve, reject) => {
		const child = spawn('bash', ['-c', script], {env: testEnv, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', chunk => (stdout += chunk));
		child.stderr.on('data', chunk => (stderr += chunk));
		child.on('error', reject);
		child.on('close', code => resolve({code, stdout, stderr}));
	});
}

describe('hardening', () => {
	after(() => deleteScenario('broken-thick'));

	test('doctor --check | head -1 on a broken cluster exits 1 under pipefail (a closed stdout keeps the real exit code)', async () => {
		applyScenario('broken-thick');
		const result = await shell('set -o pipefail; kubectl multus doctor --check | head -1');
		assert.equal(result.code, 1, result.stdout + result.stderr);
		assert.equal(result.stdout.split('\n').filter(Boolean).length, 1);
		assert.equal(result.stderr, '');
	});
});

describe('the log sample', () => {
	after(() => deleteScenario('broken-thick'));

	test('reads the newest bytes: 300 KiB of ordinary lines before the forbidden ones are still found; too small a read is not a green tick', async () => {
		applyScenario('broken-thick');
		const pods = kubectlJson<{items: {metadata: {name: string; uid: string}}[]}>(['get', 'pods', '-n', 'kube-system', '-l', 'app=multus', '-o', 'json']).items;
		assert.ok(pods.length > 0);
		// The simulator's log files, as kubectl logs serves them: 300 KiB of ordinary daemon lines go first, the
		// forbidden lines it wrote (and keeps appending) after them.
		const ordinary = Array.from({length: 4200}, (_, n) => `2026-11-24T22:30:00.000000000Z stderr F 2026-11-24T22:30:00Z [verbose] ordinary line ${n} of the daemon going about its work\n`).join('');
		assert.ok(ordinary.length > 300 * 1024);
		for (const pod of pods) {
			const file = path.join(clusterDir, 'multus-logs', `kube-system_${pod.metadata.name}_${pod.metadata.uid}.log`);
			const written = readFileSync(file, 'utf8');
			assert.match(written, /pods is forbidden/);
			writeFileSync(file, ordinary + written);
		}
		const head = kubectl(['logs', '-n', 'kube-system', pods[0]!.metadata.name, '--limit-bytes=262144']);
		assert.doesNotMatch(head, /pods is forbidden/, 'the first 256 KiB hold no forbidden line');

		const result = await runPlugin(['doctor', '--check', '-o', 'json']);
		assert.equal(result.code, 1, result.stderr);
		const logs = JSON.parse(result.stdout).findings.logs;
		assert.equal(logs.state, 'found', JSON.stringify(logs));
		assert.ok(logs.count >= pods.length, JSON.stringify(logs));

		const tiny = await runPlugin(['doctor', '--check', '--log-bytes', '10']);
		assert.equal(tiny.code, 1, tiny.stderr);
		assert.match(tiny.stdout, /logs: could not read \(not enough read: 10 byte\(s\) hold no whole log line \(raise --log-bytes\), pod /);
		assert.doesNotMatch(tiny.stdout, /no forbidden lines/);
	});
});

describe('copy-paste hints', () => {
	const hostile = 'multus;touch PWNED;';
	after(() => {
		kubectl(['delete', 'clusterrolebinding', 'multus-hostile', '--ignore-not-found']);
		kubectl(['delete', 'clusterrole', hostile, '--ignore-not-found']);
		deleteScenario('broken-thick');
	});

	test('a role named `multus;touch PWNED;`: the hint to apply the fix, pasted into a shell, names it and runs nothing else', async () => {
		applyScenario('broken-thick');
		// The only role bound to the daemon's ServiceAccount carries the hostile name (RBAC names allow ";" and " ").
		kubectl(['delete', 'clusterrolebinding', 'multus']);
		kubectl(['create', 'clusterrole', hostile, '--verb=get,update', '--resource=pods,pods/status']);
		kubectl(['create', 'clusterrolebinding', 'multus-hostile', `--clusterrole=${hostile}`, '--serviceaccount=kube-system:multus']);
		const result = await runPlugin(['doctor', '--emit', 'patch']);
		assert.equal(result.code, 1, result.stderr);
		const hint = /apply with (kubectl patch clusterrole .* --patch-file FILE)/.exec(result.stderr)?.[1];
		assert.ok(hint, result.stderr);
		assert.equal(hint, "kubectl patch clusterrole 'multus;touch PWNED;' --type=json --patch-file FILE");
		// Paste it where `kubectl` only records its arguments.
		const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-multus-paste-'));
		try {
			writeFileSync(path.join(dir, 'kubectl'), '#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/args"\n', {mode: 0o755});
			const pasted = await shell(`cd ${dir} && PATH=${dir}:$PATH; ${hint}`);
			assert.equal(pasted.code, 0, pasted.stderr);
			assert.equal(existsSync(path.join(dir, 'PWNED')), false, 'the name ran as a command');
			assert.deepEqual(readFileSync(path.join(dir, 'args'), 'utf8').split('\n').slice(0, 3), ['patch', 'clusterrole', hostile]);
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});
});

describe('roles that are gone or too large', () => {
	after(() => deleteScenario('broken-thick'));

	test('a binding to a deleted ClusterRole is named so, and its hint, pasted, recreates the whole role: then healthy', async () => {
		applyScenario('broken-thick');
		kubectl(['delete', 'clusterrole', 'multus']);
		const result = await runPlugin(['doctor', '--check']);
		assert.equal(result.code, 1, result.stdout + result.stderr);
		assert.match(result.stdout, /ClusterRoleBinding multus binds ServiceAccount kube-system:multus to ClusterRole multus, which does not exist \(deleted\?\), so it grants nothing/);
		assert.doesNotMatch(result.stdout, /only through shared groups/);
		const hint = /fix: recreate it with every rule Multus needs: (printf .* \| kubectl apply -f -)$/m.exec(result.stdout)?.[1];
		assert.ok(hint, result.stdout);
		const pasted = await shell(hint);
		assert.equal(pasted.code, 0, pasted.stderr);
		const again = await runPlugin(['doctor', '--check', '-o', 'json']);
		assert.equal(JSON.parse(again.stdout).findings.accessReview.list, true, again.stdout);
		assert.equal(JSON.parse(again.stdout).findings.accessReview.watch, true);
		assert.deepEqual(JSON.parse(again.stdout).findings.rules.missing, []);
	});

	test('a 5000-rule ClusterRole: refused before any write, pointing at --emit patch, which then prints the fix', async () => {
		applyScenario('broken-thick');
		const role = kubectlJson<{rules: object[]; metadata: Record<string, unknown>}>(['get', 'clusterrole', 'multus']);
		const resourceVersion = () => kubectl(['get', 'clusterrole', 'multus', '-o', 'jsonpath={.metadata.resourceVersion}']);
		role.rules.push(...Array.from({length: 5000}, (_, n) => ({apiGroups: ['example.com'], resources: [`widgets-${n}`], verbs: ['get', 'list']})));
		// Without kubectl's last-applied copy (replace would update it, itself past the annotation bound).
		delete (role.metadata as {annotations?: unknown}).annotations;
		kubectl(['replace', '-f', '-'], JSON.stringify(role));
		const before = resourceVersion();
		const result = await runPlugin(['doctor', '--yes']);
		assert.equal(result.code, 1, result.stdout + result.stderr);
		assert.match(result.stdout, /ClusterRole multus is too large for the change record: with its 5003 rules the record \(the rules before and after, for undo\) makes its annotations \d+ KiB, past the API server's 256 KiB/);
		assert.match(result.stdout, /fix: apply the fix without a record: kubectl multus doctor --emit patch > fix\.json && kubectl patch clusterrole multus --type=json --patch-file fix\.json/);
		assert.equal(resourceVersion(), before, 'not written');
		const emitted = await runPlugin(['doctor', '--emit', 'patch']);
		assert.equal(emitted.code, 1, emitted.stderr);
		assert.deepEqual(JSON.parse(emitted.stdout).map((op: {op: string}) => op.op).filter((op: string) => op === 'add').length > 0, true);
	});
});

describe('what a restart needs', () => {
	after(() => {
		kubectl(['-n', 'kube-system', 'delete', 'resourcequota', 'multus-pods', '--ignore-not-found']);
		deleteScenario('broken-thick');
	});

	test("the DaemonSet's ServiceAccount is deleted: patched, not restarted, said why (exit 1); every node keeps its pod", async () => {
		applyScenario('broken-thick');
		kubectl(['-n', 'kube-system', 'delete', 'serviceaccount', 'multus']);
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const result = await runPlugin(['doctor', '--yes']);
		assert.equal(result.code, 1, result.stdout + result.stderr);
		assert.match(result.stdout, /ServiceAccount kube-system:multus, which DaemonSet kube-system\/kube-multus-ds runs its pods as, does not exist: a restart would delete each old pod and the controller could not create the new one/);
		assert.match(result.stdout, /fix: recreate it \(kubectl -n kube-system create serviceaccount multus\), then run kubectl multus doctor again/);
		const after = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.equal(after.generation, before.generation, 'not restarted');
		assert.deepEqual(after.pods, before.pods, 'every pod still there');
	});

	test('the controller cannot create a new pod (a quota): the node that lost its pod is named with the reason, and the rollout fails at once (exit 5), not "continues"', async () => {
		applyScenario('broken-thick');
		const pods = kubectlJson<{items: {spec: {nodeName: string}}[]}>(['-n', 'kube-system', 'get', 'pods', '-l', 'app=multus']).items;
		// Room for one pod fewer than there are: the controller deletes an old pod, then may not create its replacement.
		kubectl(['-n', 'kube-system', 'create', 'quota', 'multus-pods', `--hard=pods=${pods.length - 1}`]);
		await waitFor('the quota to count the pods', () => kubectl(['-n', 'kube-system', 'get', 'quota', 'multus-pods', '-o', 'jsonpath={.status.used.pods}']).trim() !== '');
		const started = Date.now();
		const result = await runPlugin(['doctor', '--yes', '--timeout', '2m']);
		assert.equal(result.code, 5, result.stdout + result.stderr);
		assert.ok(Date.now() - started < 60_000, `${Date.now() - started} ms: it failed on the FailedCreate, not at --timeout`);
		const lost = /the DaemonSet controller fails to create the new pod for (node-\d+), which has no Multus pod now: pods "kube-multus-ds-\w*" is forbidden: exceeded quota: multus-pods/.exec(result.stdout);
		assert.ok(lost, result.stdout);
		assert.ok(pods.some(pod => pod.spec.nodeName === lost[1]));
		assert.doesNotMatch(result.stdout, /rollout continues/);
		assert.match(result.stdout, new RegExp(`the DaemonSet restart was started; ${lost[1]} has no Multus pod until the DaemonSet controller can create it\\.`));
		assert.match(result.stdout, /fix: fix what the controller reports \(kubectl -n kube-system get events --field-selector involvedObject\.name=kube-multus-ds,reason=FailedCreate\); the controller then creates the missing pods by itself/);
		kubectl(['-n', 'kube-system', 'delete', 'resourcequota', 'multus-pods']);
		kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=120s']);
	});
});
