// "Fixed" is the daemons' word (issue 15), against the real multus-daemon behind every pod: the upstream v4.3.0 thick
// manifest (its daemons print their own start-up lines) with the role cut back as users' roles are, so the daemons
// start denied; then the doctor fixes it and may say Fixed only after each new daemon's own readiness line. Where
// proof cannot be had (the caller may not read pods/log, no restart), it says "patched, not proven" (exit 7).
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {applyScenario, canI, deleteScenario, kubectl, kubectlJson, podLog, runPlugin, waitFor, waitUntilAllowed, multusServiceAccount as multus} from '../helpers/cluster.js';

const scenario = 'upstream-v4.3.0-thick';
const nadsListWatch = {apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['list', 'watch']};
const podsListWatch = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};

function multusPods(): any[] {
	return kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items.filter((pod: any) => !pod.metadata.deletionTimestamp);
}

/** The upstream role cut back to `rules`, and the daemons restarted under it, each logging `denied` (a pattern). */
async function startDenied(rules: object[], denied: RegExp): Promise<void> {
	kubectl(['patch', 'clusterrole', 'multus', '--type=json', '-p', JSON.stringify([{op: 'replace', path: '/rules', value: rules}])]);
	kubectl(['-n', 'kube-system', 'rollout', 'restart', 'ds/kube-multus-ds']);
	kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=120s']);
	for (const pod of await waitFor('the new pods', () => multusPods().length > 0 && multusPods())) {
		await waitFor(`${pod.metadata.name} denied`, () => denied.test(podLog('kube-system', pod.metadata.name, 'kube-multus') ?? ''), 60_000);
	}
}

const v402Rules = (nadVerbs: string[]) => [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: nadVerbs},
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
];

/** A daemon's readiness line's own time, from `kubectl logs --timestamps`. */
function readyAt(pod: string): number {
	const line = kubectl(['-n', 'kube-system', 'logs', pod, '-c', 'kube-multus', '--timestamps']).split('\n').find(text => text.includes('API readiness check done!'));
	assert.ok(line, `${pod} printed its readiness line`);
	return Date.parse(line.split(' ')[0]!);
}

describe('Fixed only after the daemons\' own words (real v4.3.0 daemons)', () => {
	test('pods and NADs denied (the NAD grant cut to get): both added in one patch; Fixed only after every new daemon\'s readiness line, and they stay clean', async t => {
		applyScenario(scenario);
		t.after(() => deleteScenario(scenario));
		await startDenied(v402Rules(['get']), /network-attachment-definitions\.k8s\.cni\.cncf\.io is forbidden/);

		const check = await runPlugin(['doctor', '--check', '-o', 'json']);
		assert.equal(check.code, 1, check.stdout + check.stderr);
		const found = JSON.parse(check.stdout);
		assert.deepEqual(found.findings.rules.missing, [podsListWatch, nadsListWatch]);
		assert.ok(found.findings.logs.count > 0);
		assert.ok(!found.findings.logs.lookalikes.some((entry: any) => /forbidden/.test(entry.kind) && /network-attachment/.test(entry.example)), 'the NAD denial is the bug, not a look-alike');

		const fix = await runPlugin(['doctor', '--yes', '-o', 'json'], {timeoutMs: 180_000});
		assert.equal(fix.code, 0, fix.stdout + fix.stderr);
		const report = JSON.parse(fix.stdout);
		assert.equal(report.verdict, 'fixed');
		assert.ok(canI('list', 'network-attachment-definitions.k8s.cni.cncf.io', multus));
		const proof = report.verification.proof;
		assert.equal(proof.mode, 'new');
		assert.ok(proof.pods.length > 0);
		for (const pod of proof.pods) {
			assert.equal(pod.state, 'proven', `${pod.pod}: ${pod.reason}`);
			// Never before the daemon's own readiness line, and soon after it.
			const ready = readyAt(pod.pod);
			const proven = Date.parse(pod.provenAt);
			t.diagnostic(`${pod.pod}: ready ${new Date(ready).toISOString()} (${ready - Date.parse(report.applied.rollout.finishedAt)} ms after the rollout finished), proven ${proven - ready} ms after`);
			assert.ok(proven >= ready, `${pod.pod} proven ${proven - ready} ms after its readiness line`);
			assert.ok(proven - ready <= 2000, `${pod.pod} proven ${proven - ready} ms after its readiness line`);
		}
		// The daemons stay clean: a few seconds on, still no denial and no cache that failed to sync.
		await new Promise(resolve => setTimeout(resolve, 3000));
		for (const pod of multusPods()) {
			const log = podLog('kube-system', pod.metadata.name, 'kube-multus') ?? '';
			assert.match(log, /API readiness check done!/);
			assert.doesNotMatch(log, /is forbidden|failed to sync/);
		}
	});

	test('a caller who may not read pods/log: patched and restarted, but not proven (exit 7), and why', async t => {
		applyScenario(scenario);
		t.after(() => deleteScenario(scenario));
		await startDenied(v402Rules(['*']), /pods is forbidden/);
		// Everything the fix needs, and pods list/watch to be allowed to grant them; but not pods/log.
		kubectl(['create', 'clusterrole', 'e2e-logless', '--verb=*', '--resource=daemonsets.apps,clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,pods,namespaces,configmaps,subjectaccessreviews.authorization.k8s.io,selfsubjectaccessreviews.authorization.k8s.io,network-attachment-definitions.k8s.cni.cncf.io']);
		kubectl(['create', 'clusterrolebinding', 'e2e-logless', '--clusterrole=e2e-logless', '--user=logless']);
		t.after(() => kubectl(['delete', 'clusterrolebinding,clusterrole', 'e2e-logless']));
		await waitUntilAllowed('logless', ['patch', 'clusterroles.rbac.authorization.k8s.io']);
		const fix = await runPlugin(['doctor', '--yes', '--as', 'logless', '-o', 'json'], {timeoutMs: 180_000});
		assert.equal(fix.code, 7, fix.stdout + fix.stderr);
		const report = JSON.parse(fix.stdout);
		assert.equal(report.verdict, 'unproven');
		assert.match(report.message, /^Patched, not proven: .*its log cannot be read/);
		assert.ok(canI('list', 'pods', multus), 'the fix itself is in place');
	});

	test('--no-restart: no daemon can prove it; a denial-free wait is said, and the verdict is patched, not proven (exit 7)', async t => {
		applyScenario(scenario);
		t.after(() => deleteScenario(scenario));
		await startDenied(v402Rules(['*']), /pods is forbidden/);
		const fix = await runPlugin(['doctor', '--yes', '--no-restart', '--timeout', '20s', '-o', 'json'], {timeoutMs: 180_000});
		assert.equal(fix.code, 7, fix.stdout + fix.stderr);
		const report = JSON.parse(fix.stdout);
		assert.equal(report.verification.proof.mode, 'running');
		assert.match(report.message, /^Patched, not proven: /);
		assert.ok(canI('watch', 'pods', multus));
	});
});
