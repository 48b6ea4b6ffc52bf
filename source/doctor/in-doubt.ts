// A write that got no answer (the request timed out, or the connection dropped before the response) may or may
// not have landed. Rather than give up, read the object back and decide from what the server stores: our change
// is there (it landed and only its answer was lost), or it is not, and the same write is safe to send again: the
// ClusterRole patch is guarded by a `test` of the resourceVersion it was planned from, and the restart sets one
// fixed restartedAt value, so neither can apply twice.
import type {V1ClusterRole, V1DaemonSet} from '@kubernetes/client-node';
import {MultusError} from '../errors.js';
import {restartedAtAnnotation, type KubeApi} from '../kube/client.js';
import {rulesCover, type JsonPatchOperation} from '../multus/rbac.js';
import type {Plan} from './model.js';
import {bounded, pause} from '../timers.js';
import {annotationPath, changeAnnotation} from './record.js';

/** What a read-back shows about a write: ours is stored, nothing of ours is, or someone else wrote meanwhile. */
export type ReadBack<T> = {landed: true; value: T; why: string} | {landed: false; why: string};

/** True for a failure after which the write may or may not have been applied: no answer, or no connection. */
export function gotNoAnswer(error: unknown): error is MultusError {
	return error instanceof MultusError && (error.kind === 'Timeout' || error.kind === 'Unreachable');
}

/** The change-record annotation value a role patch writes (the same string the server stores when it lands). */
export function sentChangeRecord(operations: JsonPatchOperation[]): string | undefined {
	const escaped = annotationPath(changeAnnotation);
	for (const op of operations) {
		if (op.op !== 'add' && op.op !== 'replace') continue;
		if (op.path === escaped && typeof op.value === 'string') return op.value;
		if (op.path === '/metadata/annotations' && typeof op.value === 'object' && !Array.isArray(op.value)) {
			const value = (op.value as Record<string, string>)[changeAnnotation];
			if (typeof value === 'string') return value;
		}
	}
	return undefined;
}

/**
 * Whether a ClusterRole read back after an unanswered patch carries that patch: our change record (it holds the
 * time of the plan, so it is this run's patch and no other) and rules that cover what the plan added.
 * Pure.
 */
export function rolePatchLanded(role: V1ClusterRole, plan: Pick<Plan, 'role' | 'resourceVersion' | 'operations' | 'patch'>): ReadBack<V1ClusterRole> {
	const record = sentChangeRecord(plan.operations);
	const stored = role.metadata?.annotations?.[changeAnnotation];
	const rules = role.rules ?? [];
	const resourceVersion = role.metadata?.resourceVersion;
	if (record !== undefined && stored === record && plan.patch.missing.every(rule => rulesCover(rules, rule))) {
		return {landed: true, value: role, why: `ClusterRole ${plan.role} carries this run's change record and the added rules (resourceVersion ${resourceVersion})`};
	}
	if (resourceVersion === plan.resourceVersion) {
		return {landed: false, why: `ClusterRole ${plan.role} is unchanged (resourceVersion ${resourceVersion})`};
	}
	throw new MultusError('Conflict', `ClusterRole ${plan.role} changed since it was read (resourceVersion ${plan.resourceVersion}, now ${resourceVersion}), and not by our patch`, {status: 409});
}

/** Whether a DaemonSet read back after an unanswered restart carries that restart's restartedAt value. Pure. */
export function restartLanded(ds: V1DaemonSet, restartedAt: string): ReadBack<V1DaemonSet> {
	const stored = ds.spec?.template?.metadata?.annotations?.[restartedAtAnnotation];
	const name = `${ds.metadata?.namespace}/${ds.metadata?.name}`;
	return stored === restartedAt
		? {landed: true, value: ds, why: `DaemonSet ${name}'s pod template carries restartedAt ${restartedAt} (generation ${ds.metadata?.generation})`}
		: {landed: false, why: `DaemonSet ${name}'s pod template carries ${stored ? `restartedAt ${stored}` : 'no restartedAt'}, not ${restartedAt}`};
}

export interface InDoubtOptions {
	/** How long to keep reading back and resending before giving up (ms; 0 = until the server answers or Ctrl-C). */
	budgetMs: number;
	/** Ctrl-C: stop waiting; the write stays in doubt. */
	signal: AbortSignal;
	/** Told, in a sentence, when a write got no answer, what a read-back showed, and when it is sent again. */
	onNote?: (note: string) => void;
	/** Pauses between read-backs (the last one repeats); tests pass zeros. */
	delaysMs?: number[];
}

/** What happened on the way, for the caller to put in words. */
export type DoubtEvent =
	| {type: 'no-answer'; error: MultusError}
	| {type: 'landed'; why: string; late: boolean}
	| {type: 'not-landed'; why: string};

/** The outcome of a write that was resolved: its value, and whether the value came from a read-back. */
export interface Resolved<T> {
	value: T;
	/** 'answered': the server answered the write; 'read-back': the answer was lost, the value was read back. */
	via: 'answered' | 'read-back';
	/** How many times the write was sent. */
	sends: number;
}

/** Thrown when the wait for an answer was stopped by Ctrl-C: the write is still in doubt. */
export class StillInDoubt extends MultusError {
	constructor(readonly doubt: MultusError) {
		super('Cancelled', doubt.message, {cause: doubt, ...(doubt.hint ? {hint: doubt.hint} : {})});
	}
}

const defaultDelaysMs = [500, 1000, 2000, 4000, 5000];

/**
 * Sends `write`; when it gets no answer, calls `readBack` (with backoff, until the server answers) to learn
 * whether it landed: if so, resolves with what was read back; if not, sends the write again. A resend that
 * fails on its guard (Conflict) is read back once more, since the earlier send may have landed meanwhile.
 * When the server stays silent for the whole budget, or a read-back fails for another reason (Forbidden,
 * NotFound: it tells nothing about the write), throws the write's own no-answer error, and on Ctrl-C a
 * StillInDoubt: either way the caller must say that the write may or may not have been applied. A read-back
 * that shows someone else wrote the object throws its Conflict: the guarded write did not land.
 */
export async function writeResolvingDoubt<T>(
	write: () => Promise<T>,
	readBack: () => Promise<ReadBack<T>>,
	options: Omit<InDoubtOptions, 'onNote'> & {onEvent?: (event: DoubtEvent) => void},
): Promise<Resolved<T>> {
	const {signal, onEvent = () => {}} = options;
	const delays = options.delaysMs ?? defaultDelaysMs;
	const deadline = options.budgetMs > 0 ? Date.now() + options.budgetMs : Number.POSITIVE_INFINITY;
	let doubt: MultusError | undefined;
	for (let sends = 1; ; sends++) {
		try {
			return {value: await write(), via: 'answered', sends};
		} catch (error) {
			if (doubt && error instanceof MultusError && error.kind === 'Conflict') {
				// The resend's guard failed: something wrote the object since we read it back, maybe our earlier send.
				const seen = await readBack().catch(() => undefined);
				if (seen?.landed) {
					onEvent({type: 'landed', why: seen.why, late: true});
					return {value: seen.value, via: 'read-back', sends};
				}
				throw error;
			}
			if (!gotNoAnswer(error)) throw error;
			doubt = error;
		}
		onEvent({type: 'no-answer', error: doubt});
		for (let attempt = 0; ; attempt++) {
			if (signal.aborted) throw new StillInDoubt(doubt);
			if (Date.now() >= deadline) throw doubt;
			await pause(Math.min(delays[Math.min(attempt, delays.length - 1)] ?? 0, deadline - Date.now()), signal);
			if (signal.aborted) throw new StillInDoubt(doubt);
			let seen: ReadBack<T> | undefined;
			try {
				seen = await bounded(readBack(), deadline, signal);
			} catch (error) {
				// Someone else wrote the object: our guarded write did not land; the caller plans again.
				if (error instanceof MultusError && error.kind === 'Conflict') throw error;
				// Any other failure to read (Forbidden, NotFound, ...) tells nothing about the write: still in doubt.
				if (!gotNoAnswer(error)) throw doubt;
			}
			if (!seen) continue;
			if (seen.landed) {
				onEvent({type: 'landed', why: seen.why, late: false});
				return {value: seen.value, via: 'read-back', sends};
			}
			onEvent({type: 'not-landed', why: seen.why});
			break;
		}
	}
}

/** "cannot patch ClusterRole multus: no answer from …" → "no answer from …": the reason alone. */
function reason(error: MultusError): string {
	return error.message.replace(/^cannot [^:]*: /, '');
}

/** The doctor's ClusterRole patch, resolved when its answer is lost (see writeResolvingDoubt). */
export function patchRoleResolvingDoubt(client: Pick<KubeApi, 'patchClusterRole' | 'readClusterRole'>, plan: Plan, options: InDoubtOptions): Promise<Resolved<V1ClusterRole>> {
	const {onNote = () => {}} = options;
	return writeResolvingDoubt(
		() => client.patchClusterRole(plan.role, plan.operations, false),
		async () => rolePatchLanded(await client.readClusterRole(plan.role), plan),
		{
			...options,
			onEvent: event => onNote(
				event.type === 'no-answer' ? `The patch of ClusterRole ${plan.role} got no answer (${reason(event.error)}): reading the role back to see whether it landed.`
				: event.type === 'landed' ? `${event.why}: the patch landed${event.late ? ' after all' : ''}; only its answer was lost.`
				: `${event.why}: the patch did not land; sending it again (it is guarded by that resourceVersion, so it cannot apply twice).`,
			),
		},
	);
}

/**
 * The create of a dedicated ClusterRole or ClusterRoleBinding (`what`: "ClusterRoleBinding NAME"), resolved when its
 * answer is lost (see writeResolvingDoubt). Read back by name: it landed when the object is there as `planned`
 * says; missing, it did not, and the same create is sent again (it cannot apply twice: the server refuses a
 * second one as existing, which is read back once more). One that is there but not as planned is `taken()`, a Conflict.
 */
export function createResolvingDoubt<T>(what: string, create: () => Promise<T>, read: () => Promise<T>, planned: (existing: T) => boolean, taken: () => MultusError, options: InDoubtOptions): Promise<Resolved<T>> {
	const {onNote = () => {}} = options;
	return writeResolvingDoubt<T>(
		create,
		async (): Promise<ReadBack<T>> => {
			let existing: T;
			try {
				existing = await read();
			} catch (error) {
				if (error instanceof MultusError && error.kind === 'NotFound') return {landed: false, why: `${what} does not exist`};
				throw error;
			}
			if (!planned(existing)) throw taken();
			return {landed: true, value: existing, why: `${what} exists, exactly as planned`};
		},
		{
			...options,
			onEvent: event => onNote(
				event.type === 'no-answer' ? `The create of ${what} got no answer (${reason(event.error)}): reading it back to see whether it landed.`
				: event.type === 'landed' ? `${event.why}: the create landed${event.late ? ' after all' : ''}; only its answer was lost.`
				: `${event.why}: the create did not land; sending it again (a create cannot apply twice: the server refuses a second one).`,
			),
		},
	);
}

/** The doctor's DaemonSet restart, resolved when its answer is lost (see writeResolvingDoubt). */
export function restartResolvingDoubt(client: Pick<KubeApi, 'restartDaemonSet' | 'readDaemonSet'>, namespace: string, name: string, restartedAt: string, options: InDoubtOptions): Promise<Resolved<V1DaemonSet>> {
	const {onNote = () => {}} = options;
	return writeResolvingDoubt(
		() => client.restartDaemonSet(namespace, name, restartedAt, false),
		async () => restartLanded(await client.readDaemonSet(namespace, name), restartedAt),
		{
			...options,
			onEvent: event => onNote(
				event.type === 'no-answer' ? `The restart of DaemonSet ${namespace}/${name} got no answer (${reason(event.error)}): reading the DaemonSet back to see whether it landed.`
				: event.type === 'landed' ? `${event.why}: the restart landed${event.late ? ' after all' : ''}; only its answer was lost.`
				: `${event.why}: the restart did not land; sending it again (the same restartedAt value, so it cannot restart twice).`,
			),
		},
	);
}
