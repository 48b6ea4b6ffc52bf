import {useCallback, useEffect, useRef} from 'react';
import {questionArmMs} from '../keys.js';

// A question takes an answer only once the user can have seen it. The flow asks the moment the previous answer
// lands, in the same microtask chain, while Ink draws at most every 100 ms: a second y, a held key or an Enter
// typed while waiting would otherwise answer a question never drawn. Keys before the arming are dropped, not kept.

export interface Question {
	/** Asks: resolves with the user's answer. */
	ask(): Promise<boolean>;
	/** The user's answer: taken only once the question being asked is armed, else dropped. */
	answer(yes: boolean): void;
	/** Answers no at once, armed or not (a cancel: declining changes nothing). */
	decline(): void;
}

/**
 * `shown` is what the committed state shows of the question being asked (a new value for each question), or
 * undefined: questionArmMs after the commit that shows it (more than Ink's throttle between two draws), it is armed.
 * While `offScreen` (stopped by Ctrl-Z: the frame is erased) it is not, and it is armed again once drawn again.
 */
export function useQuestion(shown: unknown, offScreen = false): Question {
	const pending = useRef<((yes: boolean) => void) | undefined>(undefined);
	const armed = useRef<((yes: boolean) => void) | undefined>(undefined);

	useEffect(() => {
		if (shown === undefined || offScreen) return;
		// The question this commit shows; asked later than its state (never so far), the one pending when the time is up.
		const question = pending.current;
		const timer = setTimeout(() => {
			armed.current = question ?? pending.current;
		}, questionArmMs);
		return () => {
			clearTimeout(timer);
			armed.current = undefined;
		};
	}, [shown, offScreen]);

	const ask = useCallback(
		async () =>
			new Promise<boolean>(resolve => {
				armed.current = undefined;
				pending.current = resolve;
			}),
		[],
	);

	const settle = useCallback((yes: boolean) => {
		const resolve = pending.current;
		pending.current = undefined;
		armed.current = undefined;
		resolve?.(yes);
	}, []);

	const answer = useCallback(
		(yes: boolean) => {
			if (pending.current === undefined || armed.current !== pending.current) return;
			settle(yes);
		},
		[settle],
	);

	const decline = useCallback(() => settle(false), [settle]);

	return {ask, answer, decline};
}
