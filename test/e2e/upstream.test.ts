// The doctor against upstream's own manifests, applied verbatim from the multus-cni Go module of each release
// (scripts/cluster apply upstream-<version>-<thick|thin>), with the real daemon of that release behind every pod.
// What is asserted is what the daemons print (through `kubectl logs`) and what the doctor exits with.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {
	applyScenario,
	canI,
	deleteScenario,
	kubectlJson,
	podLog,
	realDaemons,
	runPlugin,
	secondsToReady,
	waitFor,
	multusServiceAccount as multus,
	podsListWatch,
} from '../helpers/cluster.js';

const forbidden = /is forbidden/;

function multusPods(): any[] {
	return kubectlJson(['-n', 'kube-system', 'get', 'pods', '-l', 'name=multus']).items.filter((pod: any) => !pod.metadata.deletionTimestamp);
}

/** Each pod's real daemon, once it serves: its API answered (what its own "API readiness check done!" waits for). */
async function readyDaemons(pods: any[]) {
	return waitFor('every pod\'s daemon ready', () => {
		const daemons = pods.map(pod => realDaemons().find(d => d.uid === pod.metadata.uid));
		return daemons.every(d => d?.readyAt) && daemons.map(d => d!);
	}, 90_000);
}

/**
 * The v4.0.2 thick manifest's rules (pods get/update) under a daemon with informers: what users of the v4.0.x
 * manifests run (its floating snapshot-thick image is master), or what they get pinning a newer image into it.
 * The manifest's daemon config does not set logToStderr, so the daemon's own lines (start-up, readiness) go nowhere
 * and `kubectl logs` shows client-go's reflector errors only; without MULTUS_NODE_NAME (v4.0.2 sets none) the pod
 * informer lists every pod in the cluster.
 */
for (const [scenario, version] of [['upstream-v4.0.2-thick', 'v4.3.0'], ['upstream-v4.0.2-thick-image-v4.1.4-thick', 'v4.1.4']] as const) {
	describe(`${scenario}: broken, detected from the daemons' own lines, fixed`, () => {
		test(`the ${version} daemons log the forbidden list; --check finds it (exit 1); --yes fixes it, unproven from logs that cannot hold the daemons' own lines (exit 7); the new daemons sync with no forbidden line`, async t => {
			applyScenario(scenario);
			t.after(() => deleteScenario(scenario));
			const pods = multusPods();
			assert.deepEqual(realDaemons().map(d => d.version), pods.map(() => version), `each pod runs the ${version} daemon`);
			for (const pod of pods) {
				const log = await waitFor(`${pod.metadata.name}'s forbidden line`, () => {
					const text = podLog('kube-system', pod.metadata.name, 'kube-multus');
					return text && forbidden.test(text) && text;
				});
				assert.match(log, /pods is forbidden: User \\?"system:serviceaccount:kube-system:multus\\?" cannot list resource \\?"pods\\?" in API group \\?"\\?" at the cluster scope/);
				assert.doesNotMatch(log, /multus-daemon started|Filtering pod watch/, 'the v4.0.2 daemon config does not log to stderr: client-go\'s lines only');
			}

			const check = await runPlugin(['doctor', '--check', '-o', 'json']);
			assert.equal(check.code, 1, check.stdout + check.stderr);
			const report = JSON.parse(check.stdout);
			assert.equal(report.verdict, 'problem');
			assert.equal(report.findings.logs.state, 'found');
			assert.deepEqual(report.findings.logs.verbs, ['list']);
			assert.deepEqual(report.findings.logs.users, [multus]);
			assert.deepEqual(report.findings.accessReview, {list: false, watch: false});

			// Fixed, but the daemons' own lines cannot say so: the manifest's config sends them nowhere, and client-go's
			// reflector prints nothing on success. The doctor patched and restarted, and says it could not prove it.
			const fix = await runPlugin(['doctor', '--yes', '-o', 'json'], {timeoutMs: 180_000});
			assert.equal(fix.code, 7, fix.stdout + fix.stderr);
			assert.equal(JSON.parse(fix.stdout).verdict, 'unproven');
			assert.ok(canI('list', 'pods', multus));
			const fresh = await waitFor('the restarted pods', () => {
				const now = multusPods();
				return now.length === pods.length && now.every(p => !pods.some(old => old.metadata.uid === p.metadata.uid)) && now;
			});
			// Proof from the daemons themselves: each served within its first 20 s cache wait (so every informer synced)
			// and printed no forbidden line, not even one the reflector would print on its first try.
			for (const daemon of await readyDaemons(fresh)) {
				assert.equal(daemon.version, version);
				assert.ok(secondsToReady(daemon)! < 20, `${daemon.name} ready in ${secondsToReady(daemon)} s: its caches synced`);
				assert.doesNotMatch(podLog('kube-system', daemon.name, 'kube-multus') ?? 'unreadable', forbidden);
			}
		});
	});
}

describe('upstream thick manifests v4.1 and later: healthy', () => {
	for (const [release, version] of [['v4.1.4', 'v4.3.0'], ['v4.2.4', 'v4.3.0'], ['v4.3.0', 'v4.3.0']] as const) {
		test(`upstream-${release}-thick: the ${version} daemons sync and print their readiness line, no forbidden line; --check exit 0`, async t => {
			applyScenario(`upstream-${release}-thick`);
			t.after(() => deleteScenario(`upstream-${release}-thick`));
			const pods = multusPods();
			for (const daemon of await readyDaemons(pods)) {
				assert.equal(daemon.version, version, 'snapshot-thick, the manifests\' image, is master: the newest built daemon');
				assert.ok(secondsToReady(daemon)! < 20, `${daemon.name}: caches synced`);
			}
			for (const pod of pods) {
				const log = await waitFor(`${pod.metadata.name}'s readiness line`, () => {
					const text = podLog('kube-system', pod.metadata.name, 'kube-multus');
					return text?.includes('API readiness check done!') && text;
				});
				assert.match(log, new RegExp(`\\[verbose\\] Filtering pod watch for node "${pod.spec.nodeName}"`));
				assert.doesNotMatch(log, forbidden);
				assert.doesNotMatch(log, /failed to sync/);
			}
			const check = await runPlugin(['doctor', '--check', '-o', 'json']);
			assert.equal(check.code, 0, check.stdout + check.stderr);
			assert.equal(JSON.parse(check.stdout).verdict, 'healthy');
		});
	}

	for (const version of ['v4.1.4', 'v4.2.4']) {
		test(`upstream-${version}-thick with its own ${version} image pinned: that release's daemon is healthy too`, async t => {
			const scenario = `upstream-${version}-thick-image-${version}-thick`;
			applyScenario(scenario);
			t.after(() => deleteScenario(scenario));
			for (const daemon of await readyDaemons(multusPods())) {
				assert.equal(daemon.version, version);
				assert.ok(secondsToReady(daemon)! < 20);
				const log = podLog('kube-system', daemon.name, 'kube-multus') ?? 'unreadable';
				assert.match(log, /API readiness check done!/);
				assert.doesNotMatch(log, forbidden);
			}
			const check = await runPlugin(['doctor', '--check']);
			assert.equal(check.code, 0, check.stdout + check.stderr);
		});
	}
});

describe('upstream thin manifest', () => {
	test('upstream-v4.3.0-thin: get/update is all the thin plugin needs; no daemon runs; healthy (exit 0)', async t => {
		applyScenario('upstream-v4.3.0-thin');
		t.after(() => deleteScenario('upstream-v4.3.0-thin'));
		await waitFor('no daemon (thin pods are simulated)', () => realDaemons().length === 0, 20_000);
		const result = await runPlugin(['doctor', '--check', '-o', 'json']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const report = JSON.parse(result.stdout);
		assert.equal(report.multus.mode, 'thin');
		assert.equal(report.plan, null);
		assert.ok(!report.findings.rules.missing.some((rule: any) => JSON.stringify(rule) === JSON.stringify(podsListWatch)));
	});
});
