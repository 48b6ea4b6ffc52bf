import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {judgeNewDaemon, judgeRunningDaemon, lateQuietWindowMs, readDaemonLog, recoveryWindowMs, reflectorMaxRetryGapMs, startupLimitMs} from '../../../source/multus/proof.js';

const user = 'system:serviceaccount:kube-system:multus';
// As `kubectl logs --timestamps` returns the real v4.2.2 daemon's output (real-daemon.md).
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 8, 49, 55) + seconds * 1000).toISOString().replace('Z', '123Z');
const started = (s: number) => `${at(s)} 2026-12-01T08:49:55Z [verbose] multus-daemon started`;
const filtering = (s: number) => `${at(s)} 2026-12-01T08:49:55Z [verbose] Filtering pod watch for node "node-000000"`;
const ready = (s: number) => `${at(s)} 2026-12-01T08:49:55Z [verbose] API readiness check done!`;
const check = (s: number) => `${at(s)} 2026-12-01T08:49:55Z [verbose] API readiness check`;
const podsDenied = (s: number) => `${at(s)} W1201 08:49:55.078260    4639 reflector.go:569] pkg/mod/k8s.io/client-go@v0.32.5/tools/cache/reflector.go:251: failed to list *v1.Pod: pods is forbidden: User "${user}" cannot list resource "pods" in API group "" at the cluster scope`;
const nadsDenied = (s: number) => `${at(s)} E1201 08:49:55.078475    4639 reflector.go:166] "Unhandled Error" err="x/factory.go:117: Failed to watch *v1.NetworkAttachmentDefinition: failed to list *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User \\"${user}\\" cannot list resource \\"network-attachment-definitions\\" in API group \\"k8s.cni.cncf.io\\" at the cluster scope" logger="UnhandledError"`;
const syncFailed = (s: number) => `${at(s)} 2026-12-01T08:50:15Z [error] failed to sync pod informer cache`;
const text = (...lines: string[]) => `${lines.join('\n')}\n`;
const clock = {informers: ['pod', 'net-attach-def'] as const, sinceStartMs: 1000, sinceReadySeenMs: 600, quietMs: 500, startupLimitMs: 50_000};

describe('readDaemonLog and judgeNewDaemon: a restarted daemon in its own words', () => {
	test('healthy start: started, ready 0.1 s later, nothing denied: proven, with its sync time', () => {
		const log = readDaemonLog(text(started(0), filtering(0), check(0.05), ready(0.1)));
		assert.equal(log.failure, null);
		assert.equal(log.lines, 4);
		const proof = judgeNewDaemon(log, {...clock, informers: [...clock.informers]});
		assert.equal(proof.state, 'proven');
		assert.equal(proof.syncMs, 100);
		assert.match(proof.reason, /its pod and NetworkAttachmentDefinition informers synced and it is ready \(0\.1 s after it started\)/);
	});

	test('ready, but not yet quiet for long enough: pending (a denied watch follows the first list)', () => {
		const log = readDaemonLog(text(started(0), ready(0.1)));
		assert.equal(judgeNewDaemon(log, {...clock, informers: [...clock.informers], sinceReadySeenMs: 100}).state, 'pending');
		assert.equal(judgeNewDaemon(log, {...clock, informers: [...clock.informers], sinceReadySeenMs: undefined}).state, 'pending');
	});

	test('a cache that did not sync, a denial after the readiness line, or denials until the start-up limit: failing', () => {
		for (const lines of [[started(0), nadsDenied(0.1), syncFailed(20), ready(40)], [started(0), syncFailed(20), ready(20.1)], [started(0), ready(0.1), podsDenied(0.3)]]) {
			const proof = judgeNewDaemon(readDaemonLog(text(...lines)), {...clock, informers: [...clock.informers]});
			assert.equal(proof.state, 'failing', lines.join('\n'));
		}
		const denied = readDaemonLog(text(started(0), podsDenied(0.1)));
		assert.equal(judgeNewDaemon(denied, {...clock, informers: [...clock.informers], sinceReadySeenMs: undefined}).state, 'pending', 'still retrying within its cache wait');
		assert.equal(judgeNewDaemon(denied, {...clock, informers: [...clock.informers], sinceReadySeenMs: undefined, sinceStartMs: 50_000}).state, 'failing');
		const nad = judgeNewDaemon(readDaemonLog(text(started(0), nadsDenied(0.1))), {...clock, informers: [...clock.informers], sinceStartMs: 50_000});
		assert.match(nad.reason, /still denied list on network-attachment-definitions\.k8s\.cni\.cncf\.io \(its NetworkAttachmentDefinition informer\)/);
	});

	test('denied before its caches synced, then ready with no sync failure (a retry that succeeded): proven, and the denial said', () => {
		const proof = judgeNewDaemon(readDaemonLog(text(started(0), podsDenied(0.1), podsDenied(1.4), ready(2))), {...clock, informers: [...clock.informers]});
		assert.equal(proof.state, 'proven');
		assert.match(proof.reason, /denied 2 time\(s\) before its caches synced .*none since/);
	});

	test('only the last start counts: a daemon that restarted in its container is judged from its new start', () => {
		const log = readDaemonLog(text(started(0), podsDenied(1), started(30), ready(30.1)));
		assert.equal(log.failure, null);
		assert.equal(judgeNewDaemon(log, {...clock, informers: [...clock.informers]}).state, 'proven');
	});

	test('silent or never ready within the start-up limit: unproven, never clean', () => {
		const silent = judgeNewDaemon(readDaemonLog(''), {...clock, informers: [...clock.informers], sinceStartMs: 60_000, sinceReadySeenMs: undefined});
		assert.equal(silent.state, 'unproven');
		assert.match(silent.reason, /printed nothing in 60 s/);
		const noReady = judgeNewDaemon(readDaemonLog(text(started(0), filtering(0))), {...clock, informers: [...clock.informers], sinceStartMs: 60_000, sinceReadySeenMs: undefined});
		assert.equal(noReady.state, 'unproven');
		assert.match(noReady.reason, /no "API readiness check done!" line in 60 s .*logLevel below verbose/);
		assert.equal(judgeNewDaemon(readDaemonLog(''), {...clock, informers: [...clock.informers], sinceStartMs: 1000, sinceReadySeenMs: undefined}).state, 'pending');
	});

	test('the start-up limit: 20 s per informer cache, plus slack', () => {
		assert.equal(startupLimitMs(['pod', 'net-attach-def'], 20), 50_000);
		assert.equal(startupLimitMs([], 0), 10_000);
	});
});

describe('judgeRunningDaemon: a daemon not restarted recovers silently', () => {
	test('no denial since the fix for longer than its retry gap: reported, never proven (it recovers silently); before that: pending', () => {
		const since = at(10);
		const log = readDaemonLog(text(podsDenied(0), podsDenied(5)), since);
		assert.equal(log.failure, null);
		const past = judgeRunningDaemon(log, 21_000, 21_000);
		assert.equal(past.state, 'unproven');
		assert.match(past.reason, /no forbidden line in the 21 s since the fix, longer than its reflector's retry gap, but a daemon that was not restarted prints nothing/);
		assert.equal(judgeRunningDaemon(log, 5_000, 21_000).state, 'pending');
	});

	test('a denial after the fix: failing', () => {
		const log = readDaemonLog(text(podsDenied(0), podsDenied(15)), at(10));
		assert.equal(judgeRunningDaemon(log, 90_000, 21_000).state, 'failing');
	});

	test('the recovery window: four times the last retry gap plus a second, at most the reflector\'s longest gap', () => {
		assert.equal(recoveryWindowMs([at(0), at(1.3), at(3.4)]), 4 * 2100 + 1000);
		assert.equal(recoveryWindowMs([at(0), at(45)]), reflectorMaxRetryGapMs);
		assert.equal(recoveryWindowMs([at(0)]), reflectorMaxRetryGapMs);
		assert.equal(recoveryWindowMs([]), reflectorMaxRetryGapMs);
	});
});

describe('a daemon whose config hides its start-up lines (the v4.0.x manifests set no logToStderr)', () => {
	const hidden = {...clock, informers: ['pod', 'net-attach-def'] as ('pod' | 'net-attach-def')[], sinceReadySeenMs: undefined, startupHidden: 'ConfigMap multus-daemon-config (daemon-config.json) does not set "logToStderr": true'};
	test('silent past the first lists: reported as free of denials, but not proven, naming the setting', () => {
		const proof = judgeNewDaemon(readDaemonLog(''), {...hidden, sinceStartMs: 6000});
		assert.equal(proof.state, 'unproven');
		assert.match(proof.reason, /no denial in 6 s since it started, but ConfigMap multus-daemon-config .* "logToStderr": true: whether its informers synced cannot be seen\. Set "logToStderr": true/);
		assert.equal(judgeNewDaemon(readDaemonLog(''), {...hidden, sinceStartMs: 1000}).state, 'pending');
	});
	test('a denial still shows (client-go writes to stderr whatever the config): retrying, failing at the start-up limit, unproven once quiet', () => {
		const log = readDaemonLog(text(podsDenied(0.1)));
		const deniedAt = Date.parse(at(0.1));
		assert.equal(judgeNewDaemon(log, {...hidden, sinceStartMs: 6000, nowMs: deniedAt + 1000}).state, 'pending');
		assert.equal(judgeNewDaemon(log, {...hidden, sinceStartMs: 50_000, nowMs: deniedAt + 1000}).state, 'failing');
		const quiet = judgeNewDaemon(log, {...hidden, sinceStartMs: 8000, nowMs: deniedAt + 6000});
		assert.equal(quiet.state, 'unproven');
		assert.match(quiet.reason, /^denied at first .*then no denial for 6 s, but ConfigMap multus-daemon-config/);
	});
});

describe('a denial after the readiness line (an API server restarting under a synced daemon)', () => {
	const base = {...clock, informers: ['pod', 'net-attach-def'] as ('pod' | 'net-attach-def')[], sinceStartMs: 10_000, sinceReadySeenMs: 9000};
	test('once, then silent past the reflector\'s retry window: unproven (a retry that succeeds prints nothing), said; before that: pending', () => {
		const log = readDaemonLog(text(started(0), ready(0.1), nadsDenied(2)));
		const deniedAt = Date.parse(at(2));
		const early = judgeNewDaemon(log, {...base, nowMs: deniedAt + 1000});
		assert.equal(early.state, 'pending');
		assert.match(early.reason, /^ready, then denied once .*: waiting 3 s past its reflector's next retry/);
		const proof = judgeNewDaemon(log, {...base, nowMs: deniedAt + 5000});
		assert.equal(proof.state, 'unproven', 'never proven: no line of the daemon says its informers synced again');
		assert.match(proof.reason, /ready, then it was denied once .*not again in the 5 s since, past its reflector's retry; but a retry that succeeds prints nothing/);
	});
	test('a burst (a restart\'s caches filling): the window grows with each reflector\'s own retry gap; silent past it: unproven', () => {
		const log = readDaemonLog(text(started(0), ready(0.1), podsDenied(2), nadsDenied(2.05), podsDenied(3.3), podsDenied(5.4)));
		assert.equal(log.lateDenials, 4);
		assert.equal(lateQuietWindowMs({'nads-forbidden': [at(2.05)]}), 4000);
		assert.equal(lateQuietWindowMs(log.lateDenialTimes), 4 * 2100 + 1000);
		assert.equal(judgeNewDaemon(log, {...base, nowMs: Date.parse(at(5.4)) + 5000}).state, 'pending', 'past 4 s but within four retry gaps');
		assert.equal(judgeNewDaemon(log, {...base, nowMs: Date.parse(at(5.4)) + 9500}).state, 'unproven');
		assert.match(judgeNewDaemon(log, {...base, nowMs: Date.parse(at(5.4)) + 9500}).reason, /denied 4 times/);
	});
	test('denials that go on past a restart\'s few seconds, or that cannot be aged: failing', () => {
		const log = readDaemonLog(text(started(0), ready(0.1), podsDenied(2), podsDenied(3.5), podsDenied(8), podsDenied(18)));
		const proof = judgeNewDaemon(log, {...base, nowMs: Date.parse(at(18.5))});
		assert.equal(proof.state, 'failing');
		assert.match(proof.reason, /still denied list on pods .*denied for 16 s after it was ready/);
		assert.equal(judgeNewDaemon(readDaemonLog(text(started(0), ready(0.1), podsDenied(2))), {...base}).state, 'failing', 'no clock');
	});
	test('a sync failure before the readiness line stays failing, whatever follows', () => {
		const log = readDaemonLog(text(started(0), syncFailed(20), ready(20.1), podsDenied(25)));
		assert.equal(judgeNewDaemon(log, {...base, nowMs: Date.parse(at(60))}).state, 'failing');
	});
});
