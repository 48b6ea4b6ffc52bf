import type {V1Pod} from '@kubernetes/client-node';
import {ExitCode} from '../../exit-codes.js';
import {MultusError} from '../../errors.js';
import {finding} from '../../multus/findings.js';
import {judgeNewDaemon, judgeRunningDaemon, readDaemonLog, recoveryWindowMs, startupLimitMs, type DaemonProof} from '../../multus/proof.js';
import {daemonInformers} from '../../multus/requirements.js';
import {podIsNew, podTemplateGeneration} from '../../multus/rollout.js';
import {pause} from '../../timers.js';
import {stopCauseOf} from '../../signals.js';
import {accessChecks, probeFor, runChecks} from '../checks.js';
import {deniedAccess, emptyLogEvidence, logEvidence, podsAccess} from '../evidence.js';
import type {Found, PodProof, Proof} from '../model.js';
import {say, undoHint} from '../present.js';
import {clientOf, need, outcome, type Step, type StepContext} from './step.js';

/** How long the proof waits for the daemons by default (never past --timeout): a daemon takes at most 20 s per informer. */
export const proofWaitMs = 75_000;
/** How long the running daemons (no restart) are watched for a denial that persists after the fix. */
export const runningWaitMs = 10_000;
/** After the readiness line is first seen, how long the log must stay clean (a denied watch follows the first list). */
export const proofQuietMs = 300;
/** How often the pending daemons' logs are read. */
export const proofPollMs = 150;
/** Forbidden lines this soon after the fix were retries already in flight: the running-daemon proof starts after it. */
const fixSettleMs = 2000;

/**
 * Verify: the access review again, then proof from the daemons themselves. After a restart, each sampled new pod's
 * daemon must say that it started, that every informer it runs synced (its readiness line, no sync failure) and
 * that nothing was denied since; without a restart, the running daemons must stay free of denials for longer than
 * their reflector's retry gap. "Fixed" only with that proof.
 */
export const verifyStep: Step = {
	id: 'verify',
	async run(context) {
		const {facts, options, signal, emit} = context;
		const client = clientOf(context);
		const found = need(facts.found, 'Multus DaemonSet');
		const plan = need(facts.plan, 'plan');
		const restarted = facts.restarted;
		const checks = await runChecks(accessChecks(found), probeFor(client, found, options, signal));
		const access = podsAccess(checks);
		let pods: V1Pod[];
		if (restarted) {
			// Only the new template's pods, and only as many as we read logs from: never all pods of a big fleet.
			const generation = podTemplateGeneration(restarted);
			const listed = await client.listPods(found.daemonSet.namespace, `${found.selector},pod-template-generation=${generation}`, options.logPods * 2);
			pods = listed.items.filter(pod => podIsNew(pod, generation)).slice(0, options.logPods);
		} else {
			pods = (await client.listPods(found.daemonSet.namespace, found.selector, options.logPods)).items.slice(0, options.logPods);
		}
		const proof = await prove(context, found, pods, restarted ? 'new' : 'running');
		const logs = pods.length > 0
			? await logEvidence(client, pods, found.daemonSet.container, options.logBytes, signal)
			: {...emptyLogEvidence(), state: 'unavailable' as const, errors: [restarted ? say.noNewPods : say.notRestarted]};
		const denied = deniedAccess(checks);
		const passed = denied.length === 0 && proof.state === 'proven';
		facts.verification = {checks, access, logs, proof, passed, undo: facts.patch?.undo ?? undoHint(plan.role, options, facts.patch?.createdBinding)};
		emit({type: 'verified', verification: facts.verification});
		if (denied.length > 0) return outcome('problem', ExitCode.ProblemFound, say.notVerified(denied.map(check => check.question)), finding.accessStillDenied.code);
		if (proof.state === 'failing') return outcome('problem', ExitCode.ProblemFound, say.proofFailed(proof), finding.daemonStillDenied.code);
		if (proof.stopped) return outcome('unproven', ExitCode.Unproven, say.proofStopped(proof, {role: plan.role, patch: facts.patch, restarted: restarted ? found.daemonSet : undefined}), finding.unproven.code);
		if (proof.state !== 'proven') return outcome('unproven', ExitCode.Unproven, say.unproven(proof), finding.unproven.code);
		return outcome('fixed', ExitCode.Ok, say.fixed(found.identity.user, proof));
	},
};

/** Reads each pod's daemon log until every one is judged (or the wait ends), telling the view as it goes. */
async function prove(context: StepContext, found: Found, pods: V1Pod[], mode: 'new' | 'running'): Promise<Proof> {
	const {options, signal, emit, facts} = context;
	const client = clientOf(context);
	const release = found.daemonSet.release.release;
	const informers = daemonInformers(found.daemonSet.mode, release);
	const started = Date.now();
	// Without a restart nothing can prove it: watch the running daemons only long enough to catch a denial that persists.
	const wait = mode === 'running' ? runningWaitMs : proofWaitMs;
	const budget = options.timeoutMs > 0 ? Math.min(wait, options.timeoutMs) : wait;
	const deadline = started + budget;
	const fixAt = facts.patchedAt ?? started;
	const since = new Date(fixAt + fixSettleMs).toISOString();
	if (pods.length === 0) return {mode, state: 'unproven', reason: mode === 'new' ? say.noNewPods : say.noPodsToProve, pods: [], waitedMs: 0};
	const readySeen = new Map<string, number>();
	// What each pod's log held before the fix tells how long its reflector waits between retries.
	const windows = new Map<string, number>();
	let proofs: PodProof[] = pods.map(pod => ({pod: pod.metadata?.name ?? '', node: pod.spec?.nodeName ?? '', state: 'pending', reason: 'not read yet', syncMs: null, readMs: null, readyAt: null, provenAt: null}));
	for (;;) {
		const now = Date.now();
		proofs = await Promise.all(
			pods.map(async (pod, index): Promise<PodProof> => {
				const previous = proofs[index]!;
				if (previous.state !== 'pending') return previous;
				const name = pod.metadata?.name ?? '';
				const base = {pod: name, node: pod.spec?.nodeName ?? ''};
				let text: string;
				try {
					text = await client.readPodLog(found.daemonSet.namespace, name, found.daemonSet.container, options.logBytes, mode === 'running' ? new Date(fixAt - 120_000) : undefined);
				} catch (error) {
					const reason = error instanceof MultusError ? error.message : String(error);
					// A log that cannot be read yet (no output, not served yet) may come; one we may not read never will.
					const final = (error instanceof MultusError && error.kind === 'Forbidden') || now >= deadline;
					return {...base, state: final ? 'unproven' : 'pending', reason: final ? say.logUnreadable(reason) : reason, syncMs: null, readMs: null, readyAt: null, provenAt: null};
				}
				let judged: DaemonProof;
				if (mode === 'new') {
					const log = readDaemonLog(text);
					if (log.readyAt !== null && !readySeen.has(name)) readySeen.set(name, now);
					const startedAt = new Date(pod.status?.startTime ?? started).getTime() || started;
					const seen = readySeen.get(name);
					judged = judgeNewDaemon(log, {
						informers,
						sinceStartMs: now - startedAt,
						nowMs: now,
						sinceReadySeenMs: seen === undefined ? undefined : now - seen,
						quietMs: proofQuietMs,
						startupLimitMs: Math.min(startupLimitMs(informers, release.syncTimeoutSeconds), budget),
						...(found.daemonSet.daemonLog.startupLines === 'hidden' ? {startupHidden: found.daemonSet.daemonLog.why ?? 'its config hides them'} : {}),
					});
				} else {
					if (!windows.has(name)) windows.set(name, recoveryWindowMs(readDaemonLog(text).recentFailures.filter(at => Date.parse(at) < fixAt)));
					judged = judgeRunningDaemon(readDaemonLog(text, since), now - fixAt, windows.get(name)!);
				}
				if (judged.state === 'pending' && now >= deadline) {
					judged = {...judged, state: 'unproven', reason: say.proofTimedOut(budget, judged.reason)};
				}
				const proven = judged.state === 'proven';
				return {...base, state: judged.state, reason: judged.reason, syncMs: judged.syncMs, readMs: proven ? now - started : null, readyAt: judged.readyAt ?? null, provenAt: proven ? new Date(now).toISOString() : null};
			}),
		);
		const view: Proof = {mode, state: overall(proofs), reason: '', pods: proofs, waitedMs: Date.now() - started};
		if (view.state !== 'pending') return {...view, reason: reasonOf(view)};
		// Ctrl-C or a signal: the daemons still pending are not judged; the proof is what it was at the stop, and says so.
		if (signal.aborted) {
			const cause = stopCauseOf(signal);
			const stopped: Proof = {...view, state: 'unproven', stopped: true, ...(cause ? {stoppedBy: cause} : {})};
			return {...stopped, reason: say.proofStoppedReason(stopped)};
		}
		emit({type: 'proof-progress', proof: view});
		// Reading only the pods still pending, every 150 ms, and for a daemon seen ready again the moment its quiet
		// window ends: the verdict follows its readiness line by one read, the window and one more read (the
		// benchmark holds it to 1 s).
		const quietEnds = [...readySeen.entries()]
			.filter(([name]) => proofs.some(proof => proof.pod === name && proof.state === 'pending'))
			.map(([, seenAt]) => seenAt + proofQuietMs - Date.now());
		await pause(Math.max(10, Math.min(proofPollMs, ...quietEnds)), signal);
	}
}

function overall(proofs: PodProof[]): Proof['state'] {
	if (proofs.some(proof => proof.state === 'failing')) return 'failing';
	if (proofs.some(proof => proof.state === 'pending')) return 'pending';
	if (proofs.some(proof => proof.state === 'unproven')) return 'unproven';
	return 'proven';
}

function reasonOf(proof: Proof): string {
	const first = proof.pods.find(pod => pod.state === proof.state);
	return first ? `${first.pod} on ${first.node || 'its node'}: ${first.reason}` : '';
}
