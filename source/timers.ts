// Waiting that Ctrl-C and deadlines can cut short, for the flow's polls and read-backs.

/** Waits `ms`, or less when `signal` aborts first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
	if (ms <= 0 || signal?.aborted) return Promise.resolve();
	return new Promise(resolve => {
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done);
	});
}

/**
 * `promise`, or undefined once `deadline` (a Date.now() value; Infinity for none) passes or `signal` aborts first:
 * for a request that may hang when no --request-timeout bounds it.
 */
export async function bounded<T>(promise: Promise<T>, deadline: number, signal?: AbortSignal): Promise<T | undefined> {
	promise.catch(() => {});
	if (signal?.aborted) return undefined;
	let timer: NodeJS.Timeout | undefined;
	let onAbort: (() => void) | undefined;
	const stop = new Promise<undefined>(resolve => {
		if (Number.isFinite(deadline)) timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
		onAbort = () => resolve(undefined);
		signal?.addEventListener('abort', onAbort);
	});
	try {
		return await Promise.race([promise, stop]);
	} finally {
		clearTimeout(timer);
		if (onAbort) signal?.removeEventListener('abort', onAbort);
	}
}
