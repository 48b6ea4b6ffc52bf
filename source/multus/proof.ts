// Proof from the daemons' own words. Pure: it judges log text the caller read.
//
// A thick daemon from v4.1 starts its informers, waits (at most 20 s each) for their caches, logs
// `[error] failed to sync <informer> informer cache` for any that did not sync, and then logs
// `[verbose] API readiness check done!` (cmd/multus-daemon/main.go, pkg/server/server.go at every tag). So a
// readiness line with no sync failure and no forbidden line before it says, in the daemon's own words, that every
// informer it runs has synced. A denied watch shows right after the first list, so the doctor also waits a short
// quiet window after first seeing the readiness line. A running daemon that was not restarted recovers silently at
// its reflector's next retry, and prints nothing when it does: no line of its own can say its informers synced. For
// such a daemon the doctor can only show that no forbidden line came in the longest retry gap since the fix: that
// is reported, but it is not proof (the verdict is "patched, not proven").
import {classifyLine, excerptOf, type LogClassification} from './logs.js';
import type {InformerName} from './versions.js';

/** What one daemon's log says about its start-up: each after the daemon's last start. */
export interface DaemonLog {
	/** Lines read in all. */
	lines: number;
	/** The last `multus-daemon started` (a daemon that restarted inside its container counts from there). */
	startedAt: string | null;
	/** The first `API readiness check done!` after that start. */
	readyAt: string | null;
	/**
	 * The first line after the start that says the daemon is failing: a cache that did not sync, or a denial after
	 * its readiness line (once its caches synced).
	 */
	failure: LogFailure | null;
	/** The first denial before the readiness line: a retry that later succeeded if the readiness line follows with no sync failure. */
	earlyFailure: LogFailure | null;
	/** Failing lines after the start (denials before readiness included). */
	failures: number;
	/**
	 * Denials after the readiness line (the re-list an API server restart forces, denied while its authorizer's caches
	 * fill), with the times of the first and of the last few.
	 */
	lateDenials: number;
	firstLateDenial: string | null;
	lastLateDenial: string | null;
	/** Timestamps of the late denials per family (each informer's reflector retries on its own), oldest first, at most the last 8 each. */
	lateDenialTimes: Record<string, string[]>;
	/** Timestamps of the failing lines, oldest first, at most the last 8 (to measure the reflector's retry gap). */
	recentFailures: string[];
}

// Lines that say the daemon is not working as it should. A network error alone is not: the informer may still
// sync within its 20 s, and if it does not, the sync-failure line says so.
const failingKinds = new Set<LogClassification['kind']>([
	'pods-forbidden',
	'nads-forbidden',
	'other-forbidden',
	'namespaced-get-forbidden',
	'unauthorized',
	'informer-sync-failed',
]);

/**
 * Reads a daemon's log (as `kubectl logs --timestamps` returns it: each line led by its runtime timestamp) for its
 * start-up story. `since`: ignore lines stamped before it (a running daemon judged from the moment of a fix).
 */
export function readDaemonLog(text: string, since?: string): DaemonLog {
	const log: DaemonLog = {lines: 0, startedAt: null, readyAt: null, failure: null, earlyFailure: null, failures: 0, recentFailures: [], lateDenials: 0, firstLateDenial: null, lastLateDenial: null, lateDenialTimes: {}};
	const sinceMs = since ? Date.parse(since) : Number.NaN;
	for (const raw of text.split('\n')) {
		const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
		if (lineText.length === 0) continue;
		log.lines++;
		const found = classifyLine(lineText);
		if (!found) continue;
		if (!Number.isNaN(sinceMs) && found.timestamp && Date.parse(found.timestamp) < sinceMs) continue;
		if (found.kind === 'daemon-started') {
			// A new start: what came before belongs to the previous run of the daemon.
			Object.assign(log, {startedAt: found.timestamp, readyAt: null, failure: null, earlyFailure: null, failures: 0, recentFailures: [], lateDenials: 0, firstLateDenial: null, lastLateDenial: null, lateDenialTimes: {}});
			continue;
		}
		if (found.kind === 'daemon-ready') {
			log.readyAt ??= found.timestamp ?? '';
			continue;
		}
		if (!failingKinds.has(found.kind)) continue;
		log.failures++;
		if (found.timestamp) log.recentFailures = [...log.recentFailures, found.timestamp].slice(-8);
		const failure: LogFailure = {
			kind: found.kind,
			at: found.timestamp,
			excerpt: excerptOf(lineText, 160),
			informer: 'informer' in found ? found.informer ?? null : null,
			verb: 'verb' in found ? found.verb : null,
			resource: found.kind === 'pods-forbidden' ? 'pods' : found.kind === 'nads-forbidden' ? 'network-attachment-definitions.k8s.cni.cncf.io' : found.kind === 'other-forbidden' ? found.resource : null,
		};
		// A denial before the caches synced may be a retry that then succeeded (an apiserver still starting, RBAC
		// not yet propagated): the readiness line with no sync failure says whether it did.
		if (log.readyAt === null && found.kind !== 'informer-sync-failed') log.earlyFailure ??= failure;
		else log.failure ??= failure;
		if (log.readyAt !== null && found.kind !== 'informer-sync-failed') {
			log.lateDenials++;
			log.firstLateDenial ??= found.timestamp;
			log.lastLateDenial = found.timestamp;
			if (found.timestamp) log.lateDenialTimes = {...log.lateDenialTimes, [found.kind]: [...(log.lateDenialTimes[found.kind] ?? []), found.timestamp].slice(-8)};
		}
	}
	return log;
}

export interface LogFailure {
	kind: LogClassification['kind'];
	at: string | null;
	excerpt: string;
	informer: InformerName | null;
	verb: string | null;
	resource: string | null;
}

export type ProofState = 'proven' | 'failing' | 'pending' | 'unproven';

export interface DaemonProof {
	state: ProofState;
	/** In the user's words: what the daemon's log showed. */
	reason: string;
	/** From the daemon's start line to its readiness line, when both carry times. */
	syncMs: number | null;
	/** The readiness line's time, as the log stamps it. */
	readyAt?: string | null;
}

export interface NewDaemonClock {
	/** The informers this release runs (empty: nothing to sync, the readiness line alone tells). */
	informers: InformerName[];
	/** Milliseconds since the pod started, by the doctor's clock. */
	sinceStartMs: number;
	/** Milliseconds since the doctor first saw the readiness line (undefined: not seen yet). */
	sinceReadySeenMs: number | undefined;
	/** How long the log must stay clean after the readiness line was first seen. */
	quietMs: number;
	/** How long after the pod started the readiness line must be there, else the daemon is not proven. */
	startupLimitMs: number;
	/** The doctor's clock (ms since the epoch), to age the last denial of a daemon whose start-up lines are hidden. */
	nowMs?: number;
	/**
	 * Why the daemon's own start-up lines cannot reach its log (its config), when they cannot: then only client-go's
	 * lines can be seen, and a daemon free of denials for hiddenSilenceMs after its start is reported, not proven.
	 */
	startupHidden?: string;
}

/** client-go retries a failed list after at most 1.6 s (0.8 s with full jitter) the first time: twice that, plus slack. */
export const lateRetryWindowMs = 4000;

/**
 * A burst of denials after the readiness line that lasts longer than this is not an API server's caches filling
 * after a restart (seconds at most): the daemon is still denied.
 */
export const lateBurstLimitMs = 15_000;

/**
 * How long a daemon denied after its readiness line must stay silent for its reflectors' next retries to have come
 * and gone: the retry window, or four times the last gap one reflector showed between its denials, if longer.
 */
export function lateQuietWindowMs(lateDenialTimes: Record<string, string[]>): number {
	const windows = Object.values(lateDenialTimes).map(times => (times.length > 1 ? recoveryWindowMs(times) : 0));
	return Math.max(lateRetryWindowMs, ...windows);
}

/** A denied first list shows within a second of the start; past this, silence is all a hidden-start-up daemon can say. */
export const hiddenSilenceMs = 5000;

/** The longest a daemon can take from start to its readiness line: 20 s per informer cache, plus slack. */
export function startupLimitMs(informers: InformerName[], syncTimeoutSeconds: number): number {
	return informers.length * syncTimeoutSeconds * 1000 + 10_000;
}

const informerWords: Record<InformerName, string> = {pod: 'pod', 'net-attach-def': 'NetworkAttachmentDefinition'};

function durationBetween(from: string | null, to: string | null): number | null {
	if (!from || !to) return null;
	const ms = Date.parse(to) - Date.parse(from);
	return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function failingReason(log: DaemonLog, failure: LogFailure = (log.failure ?? log.earlyFailure)!): string {
	const what =
		failure.kind === 'informer-sync-failed'
			? `its ${failure.informer ? informerWords[failure.informer] : ''} informer cache did not sync`
			: failure.kind === 'unauthorized'
				? 'its credentials were rejected (Unauthorized)'
				: `it is still denied${failure.verb && failure.resource ? ` ${failure.verb} on ${failure.resource}` : ''}${failure.informer ? ` (its ${informerWords[failure.informer]} informer)` : ''}`;
	return `${what}: ${failure.excerpt}${log.failures > 1 ? ` (${log.failures} such lines)` : ''}`;
}

/** Every failing line after the readiness line is a denial, and nothing before it failed but denials the readiness line outlived. */
function isLateOnly(log: DaemonLog): boolean {
	return log.failure !== null && log.failure.kind !== 'informer-sync-failed' && log.lateDenials > 0;
}

/**
 * A daemon denied after its readiness line: its informers had synced, then a re-list was denied (an API server
 * that restarts answers with denials while its authorizer's caches fill). Its reflector retries, and a retry that
 * succeeds prints nothing, so no line of its own can say its informers synced again: silence past its retry gap is
 * reported, never proven (unproven); denials that go on past a restart's few seconds are not fixed (failing).
 */
function judgeLateDenials(log: DaemonLog, clock: NewDaemonClock, syncMs: number | null): DaemonProof {
	const first = Date.parse(log.firstLateDenial ?? '');
	const last = Date.parse(log.lastLateDenial ?? '');
	const times = log.lateDenials === 1 ? 'once' : `${log.lateDenials} times`;
	if (clock.nowMs === undefined || !Number.isFinite(first) || !Number.isFinite(last)) return {state: 'failing', reason: failingReason(log), syncMs};
	if (last - first > lateBurstLimitMs) {
		return {state: 'failing', reason: `${failingReason(log)}; denied for ${Math.round((last - first) / 1000)} s after it was ready, longer than an API server takes to restart`, syncMs};
	}
	const quietFor = clock.nowMs - last;
	const window = lateQuietWindowMs(log.lateDenialTimes);
	if (quietFor < window) {
		return {state: 'pending', reason: `ready, then denied ${times} (${log.failure!.excerpt}): waiting ${Math.ceil((window - quietFor) / 1000)} s past its reflector's next retry`, syncMs};
	}
	return {
		state: 'unproven',
		reason:
			`its informers synced and it was ready, then it was denied ${times} (${log.failure!.excerpt}; an API server restarting does this while its caches fill) and not again in the ${Math.round(quietFor / 1000)} s since, past its reflector's retry; ` +
			`but a retry that succeeds prints nothing, so its own words cannot say its informers synced again (a new pod of it would)`,
		syncMs,
	};
}

/** Judges a daemon that started after the fix (a new pod of the rollout) from its log and the doctor's clock. */
export function judgeNewDaemon(log: DaemonLog, clock: NewDaemonClock): DaemonProof {
	const syncMs = durationBetween(log.startedAt, log.readyAt);
	if (log.failure && isLateOnly(log)) return judgeLateDenials(log, clock, syncMs);
	if (log.failure) return {state: 'failing', reason: failingReason(log), syncMs};
	if (log.readyAt !== null) {
		const synced = clock.informers.length > 0 ? `its ${clock.informers.map(informer => informerWords[informer]).join(' and ')} informers synced` : 'it runs no informer';
		if (clock.sinceReadySeenMs !== undefined && clock.sinceReadySeenMs >= clock.quietMs) {
			const early = log.earlyFailure
					? `; denied ${log.failures} time(s) before its caches synced (${log.earlyFailure.excerpt}), none since`
					: '; no forbidden line since it started';
			return {state: 'proven', reason: `${synced} and it is ready${syncMs !== null ? ` (${(syncMs / 1000).toFixed(1)} s after it started)` : ''}${early}`, syncMs, readyAt: log.readyAt};
		}
		return {state: 'pending', reason: `ready; making sure no denial follows its first watch`, syncMs};
	}
	if (log.earlyFailure) {
		// Denied and not ready: still retrying, unless the start-up limit passed (or, hidden, it went quiet).
		const lastDenial = Date.parse(log.recentFailures.at(-1) ?? '');
		const quietFor = clock.nowMs !== undefined && Number.isFinite(lastDenial) ? clock.nowMs - lastDenial : 0;
		if (clock.startupHidden !== undefined && quietFor >= hiddenSilenceMs) {
			return {state: 'unproven', reason: `denied at first (${log.earlyFailure.excerpt}), then no denial for ${Math.round(quietFor / 1000)} s, but ${clock.startupHidden}: whether its informers synced cannot be seen`, syncMs};
		}
		if (clock.sinceStartMs >= clock.startupLimitMs) return {state: 'failing', reason: failingReason(log, log.earlyFailure), syncMs};
		return {state: 'pending', reason: `denied (${log.failures}x), retrying: waiting for its informers to sync`, syncMs};
	}
	if (clock.startupHidden !== undefined) {
		if (clock.sinceStartMs >= Math.min(hiddenSilenceMs, clock.startupLimitMs)) {
			return {
				state: 'unproven',
				reason: `no denial in ${Math.round(clock.sinceStartMs / 1000)} s since it started, but ${clock.startupHidden}: whether its informers synced cannot be seen. Set "logToStderr": true and "logLevel": "verbose" there to let the doctor prove it`,
				syncMs,
			};
		}
		return {state: 'pending', reason: 'no denial yet (its start-up lines are hidden by its config)', syncMs};
	}
	if (clock.sinceStartMs < clock.startupLimitMs) {
		return {state: 'pending', reason: log.startedAt ? 'started, waiting for its informers to sync' : log.lines === 0 ? 'no output yet' : 'waiting for its start-up line', syncMs};
	}
	if (log.lines === 0) return {state: 'unproven', reason: `it printed nothing in ${Math.round(clock.sinceStartMs / 1000)} s`, syncMs};
	return {
		state: 'unproven',
		reason: `no "API readiness check done!" line in ${Math.round(clock.sinceStartMs / 1000)} s (${log.lines} line(s) read; a daemon config with a logLevel below verbose hides it)`,
		syncMs,
	};
}

/** client-go's reflector backs off up to 30 s with full jitter: the longest gap between two retries. */
export const reflectorMaxRetryGapMs = 60_000;

/**
 * How long a running daemon must stay silent after the fix for its next retry to have come and succeeded: four times
 * its last observed retry gap (the backoff doubles, and jitter can double it again), at most the reflector's longest.
 */
export function recoveryWindowMs(failuresBefore: string[]): number {
	const times = failuresBefore.map(at => Date.parse(at)).filter(Number.isFinite);
	const gaps = times.slice(1).map((at, index) => at - times[index]!).filter(gap => gap > 0);
	const lastGap = gaps.at(-1);
	return lastGap === undefined ? reflectorMaxRetryGapMs : Math.min(reflectorMaxRetryGapMs, 4 * lastGap + 1000);
}

/**
 * Judges a daemon that kept running through the fix, from its lines since the fix: failing if it is still denied;
 * never proven (its informers recover silently), but "no denial past its retry gap" once that much time has passed.
 */
export function judgeRunningDaemon(logSinceFix: DaemonLog, sinceFixMs: number, windowMs: number): DaemonProof {
	if (logSinceFix.failure || logSinceFix.earlyFailure) return {state: 'failing', reason: failingReason(logSinceFix), syncMs: null};
	if (sinceFixMs >= windowMs) {
		return {
			state: 'unproven',
			reason: `no forbidden line in the ${Math.round(sinceFixMs / 1000)} s since the fix, longer than its reflector's retry gap, but a daemon that was not restarted prints nothing when its informers recover: restart it to have it prove the fix`,
			syncMs: null,
		};
	}
	return {state: 'pending', reason: `no forbidden line since the fix; waiting past its reflector's next retry (${Math.round((windowMs - sinceFixMs) / 1000)} s)`, syncMs: null};
}
