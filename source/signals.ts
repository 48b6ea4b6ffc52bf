// The signals that stop a run without a terminal view, turned into a cancel that carries which signal it was: the
// words say "Ctrl-C" only for the terminal's SIGINT, and otherwise the signal's name ("stopped by SIGTERM").

/** The signals a run stops on at its next safe point (and the credential plugins it started stop on at once). */
export const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof stopSignals)[number];

/** What stopped a run: the signal, and whether it came from the user's terminal (a SIGINT there is Ctrl-C). */
export interface StopCause {
	signal: StopSignal;
	fromTerminal: boolean;
}

/** The user's Ctrl-C: the key in the terminal view, or SIGINT from the terminal the run was started in. */
export const ctrlC: StopCause = {signal: 'SIGINT', fromTerminal: true};

/** Whether `cause` is the user's Ctrl-C. */
export function isCtrlC(cause: StopCause): boolean {
	return cause.signal === 'SIGINT' && cause.fromTerminal;
}

/** What `signal` was aborted with, when it was a stop (undefined for an abort without a cause, or not aborted). */
export function stopCauseOf(signal: AbortSignal): StopCause | undefined {
	if (!signal.aborted) return undefined;
	const reason: unknown = signal.reason;
	if (typeof reason !== 'object' || reason === null) return undefined;
	const {signal: name, fromTerminal} = reason as Partial<StopCause>;
	return stopSignals.includes(name as StopSignal) && typeof fromTerminal === 'boolean' ? {signal: name!, fromTerminal} : undefined;
}

/** Where the stop signals come from: the process, or an emitter in tests. */
export type SignalSource = Pick<NodeJS.Process, 'on' | 'off'>;

/**
 * Until the returned function is called, the first of SIGINT, SIGTERM or SIGHUP aborts `controller` with its
 * cause (after `onFirst`, which says so); a second one, or one after `controller` was aborted otherwise, quits at
 * once with 130. A SIGINT counts as Ctrl-C when the run has a terminal (stdin or stderr is one): a terminal sends
 * it for that key, a CI runner or `kill` for none.
 */
export function cancelOnSignals(
	controller: AbortController,
	onFirst: (cause: StopCause) => void,
	fromTerminal: boolean = Boolean(process.stdin.isTTY || process.stderr.isTTY),
	quit: (code: number) => void = code => process.exit(code),
	source: SignalSource = process,
): () => void {
	const onSignal = (signal: NodeJS.Signals) => {
		if (controller.signal.aborted) return quit(130);
		const cause: StopCause = {signal: signal as StopSignal, fromTerminal: signal === 'SIGINT' && fromTerminal};
		onFirst(cause);
		controller.abort(cause);
	};
	for (const signal of stopSignals) source.on(signal, onSignal);
	return () => {
		for (const signal of stopSignals) source.off(signal, onSignal);
	};
}
