// Following one object until a condition holds, as `kubectl rollout status` does with client-go's UntilWithSync:
// one watch on the object alone, resumed from the last resourceVersion seen when it drops, re-listed (as a list
// of one, for a fresh resourceVersion) after 410 Gone, stopped by deletion, by a timeout or by Ctrl-C. What the
// object's versions mean is the caller's (for a DaemonSet's rollout: multus/rollout.ts).
import {MultusError} from '../errors.js';
import type {KubeApi} from './client.js';

interface Versioned {
	metadata?: {resourceVersion?: string};
}

export interface WatchUntilOptions<T extends Versioned> {
	/** The collection's watch path (e.g. /apis/apps/v1/namespaces/NS/daemonsets). */
	path: string;
	/** The object's name: the watch is field-selected to it. */
	name: string;
	/** The object as last read; the watch starts from its resourceVersion. */
	initial: T;
	/** Lists the object as a list of one: the object (undefined when gone) and the list's resourceVersion. */
	relist(): Promise<{object: T | undefined; resourceVersion: string | undefined}>;
	/** Judges each version of the object: true when it settles the wait, a MultusError to stop with, false to go on. */
	settled(object: T): boolean | MultusError;
	/** Each version that does not settle it (the first one included). */
	onChange?(object: T): void;
	/** The watch dropped and is being resumed; `count` so far. */
	onResume?(count: number): void;
	/** Give up after this long (ms; 0 = never). */
	timeoutMs: number;
	signal: AbortSignal;
	/** The pause before resuming after a failure (`attempt` counts from 1); a clean close resumes at once. */
	retryDelayMs?: (attempt: number) => number;
}

/** How the wait ended; `object` is the last version seen. A MultusError from `settled` rejects instead. */
export type WatchEnd<T> =
	| {type: 'settled'; object: T}
	| {type: 'deleted'; object: T}
	| {type: 'timeout'; object: T}
	| {type: 'cancelled'; object: T};

const defaultRetryDelayMs = (attempt: number) => Math.min(1000 * attempt, 5000);

/**
 * Watches one object until `settled` says so. Dropped watches resume from the last resourceVersion seen (a clean
 * close at once, a failure after a growing pause); 410 Gone re-lists first, since the old resourceVersion was
 * compacted away; an unreachable server is retried until the timeout. Only deletion, the timeout, Ctrl-C and
 * `settled` end it.
 */
export function watchUntil<T extends Versioned>(client: Pick<KubeApi, 'watch'>, options: WatchUntilOptions<T>): Promise<WatchEnd<T>> {
	const {signal} = options;
	const retryDelay = options.retryDelayMs ?? defaultRetryDelayMs;
	return new Promise<WatchEnd<T>>((resolve, reject) => {
		let current = options.initial;
		let ended = false;
		let resumes = 0;
		let watch: {abort: () => void} | undefined;
		let timeout: NodeJS.Timeout | undefined;
		let retry: NodeJS.Timeout | undefined;
		const finish = (end: WatchEnd<T> | MultusError) => {
			if (ended) return;
			ended = true;
			watch?.abort();
			clearTimeout(timeout);
			clearTimeout(retry);
			signal.removeEventListener('abort', onAbort);
			if (end instanceof MultusError) reject(end);
			else resolve(end);
		};
		const onAbort = () => finish({type: 'cancelled', object: current});
		/** Takes in a new version of the object; true when that ended the wait. */
		const consider = (object: T): boolean => {
			current = object;
			const verdict = options.settled(object);
			if (verdict instanceof MultusError) finish(verdict);
			else if (verdict) finish({type: 'settled', object});
			else options.onChange?.(object);
			return ended;
		};
		const resume = (resourceVersion: string | undefined, delayMs: number) => {
			resumes++;
			options.onResume?.(resumes);
			retry = setTimeout(() => void connect(resourceVersion), delayMs);
		};
		const connect = async (resourceVersion: string | undefined): Promise<void> => {
			if (ended) return;
			try {
				if (!resourceVersion) {
					// A list of one: its resourceVersion is the store's current one, which a watch can start from.
					const listed = await options.relist();
					if (ended) return;
					if (!listed.object) {
						finish({type: 'deleted', object: current});
						return;
					}
					if (consider(listed.object)) return;
					resourceVersion = listed.resourceVersion;
				}
				let lastSeen = resourceVersion;
				const opened = await client.watch<T>(
					options.path,
					{fieldSelector: `metadata.name=${options.name}`, resourceVersion},
					event => {
						if (ended) return;
						lastSeen = event.object.metadata?.resourceVersion ?? lastSeen;
						if (event.type === 'BOOKMARK') return;
						if (event.type === 'DELETED') finish({type: 'deleted', object: event.object});
						else consider(event.object);
					},
					error => {
						if (ended) return;
						// 410 Gone: our resourceVersion is too old, re-list. Otherwise resume from the last one we saw.
						resume(error?.kind === 'Gone' ? undefined : lastSeen, error ? retryDelay(resumes + 1) : 0);
					},
				);
				watch = opened;
				// The wait may have ended while this watch was connecting: do not leave it open.
				if (ended) opened.abort();
			} catch (error) {
				if (ended) return;
				if (error instanceof MultusError && error.kind === 'NotFound') {
					finish({type: 'deleted', object: current});
					return;
				}
				// The API server is unreachable: keep trying until the timeout, as kubectl rollout status does.
				resume(undefined, retryDelay(resumes + 1));
			}
		};

		if (signal.aborted) {
			onAbort();
			return;
		}
		signal.addEventListener('abort', onAbort);
		if (options.timeoutMs > 0) timeout = setTimeout(() => finish({type: 'timeout', object: current}), options.timeoutMs);
		if (consider(options.initial)) return;
		void connect(options.initial.metadata?.resourceVersion);
	});
}
