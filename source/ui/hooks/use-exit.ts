import {useCallback, useEffect, useRef, useState, type MutableRefObject} from 'react';
import {cancelOnSignals, ctrlC, type SignalSource, type StopCause} from '../../signals.js';
import {interruptWindowMs} from '../keys.js';

// What the doctor's screen and the fleet's share: a first Ctrl-C (or stop signal) that cancels and arms the quit for a
// moment, a second that quits, and one call of onExit once the exit code is known.

/** A first Ctrl-C arms the quit; it disarms by itself after interruptWindowMs. */
export function useQuitArm(): [boolean, (armed: boolean) => void] {
	const [quitArmed, setQuitArmed] = useState(false);
	useEffect(() => {
		if (!quitArmed) return;
		const timer = setTimeout(() => setQuitArmed(false), interruptWindowMs);
		return () => clearTimeout(timer);
	}, [quitArmed]);
	return [quitArmed, setQuitArmed];
}

/** At most this many frames a second (Ink's maxFps, given by ui/run.tsx and ui/run-fleet.tsx). */
export const framesPerSecond = 10;

/**
 * How long the last frame is given to be drawn before the app exits: two of Ink's intervals between two draws.
 * Exiting at once raced it: the draw Ink still owed and the one it makes as it unmounts both wrote the steps
 * printed with the outcome, and the scrollback held them twice (80x20, under load).
 */
export const lastFrameMs = 2 * (1000 / framesPerSecond);

/** Calls onExit once, the first time the exit code is known (the latest onExit given), once its frame is drawn. */
export function useExitOnce(exitCode: number | undefined, onExit: (code: number) => void): void {
	const exited = useRef(false);
	const onExitRef = useRef(onExit);
	onExitRef.current = onExit;
	useEffect(() => {
		if (exitCode === undefined || exited.current) return;
		exited.current = true;
		setTimeout(() => onExitRef.current(exitCode), lastFrameMs);
	}, [exitCode]);
}

/** What a stop needs from the screen that uses it (the doctor's or the fleet's). */
export interface StopControls {
	controller: MutableRefObject<AbortController>;
	/** True once the run has its outcome: nothing is left to stop. */
	ended(): boolean;
	/** Says that the run is being cancelled, and by what. */
	cancelRequested(cause: StopCause): void;
	/** Answers an open question "no", so the runner sees the abort that follows. */
	decline(): void;
	/** Quits at once (a second Ctrl-C or signal). */
	quitNow(): void;
	setQuitArmed(armed: boolean): void;
	/** SIGINT, SIGTERM and SIGHUP from here act as Ctrl-C does (the first named); none in component tests. */
	signals: SignalSource | undefined;
}

/**
 * The Ctrl-C key's handler: the first cancels at a safe point and arms the quit, a second within interruptWindowMs
 * quits. A signal from `signals` does the same, named by what it was.
 */
export function useStop(controls: StopControls): () => void {
	const latest = useRef(controls);
	latest.current = controls;
	const lastInterrupt = useRef(Number.NEGATIVE_INFINITY);
	const interrupt = useCallback(() => {
		const stop = latest.current;
		if (stop.ended()) return;
		const now = Date.now();
		if (now - lastInterrupt.current <= interruptWindowMs) {
			stop.quitNow();
			return;
		}
		lastInterrupt.current = now;
		stop.setQuitArmed(true);
		if (stop.controller.current.signal.aborted) return;
		stop.cancelRequested(ctrlC);
		// The key, read in raw mode: the user's Ctrl-C, said as such.
		stop.controller.current.abort(ctrlC);
		// A question being asked is answered "no": the runner then sees the abort and reports the cancel.
		stop.decline();
	}, []);
	const {signals} = controls;
	useEffect(() => {
		if (!signals) return;
		return cancelOnSignals(
			latest.current.controller.current,
			cause => {
				const stop = latest.current;
				if (stop.ended()) return;
				stop.cancelRequested(cause);
				stop.decline();
			},
			undefined,
			() => latest.current.quitNow(),
			signals,
		);
	}, [signals]);
	return interrupt;
}
