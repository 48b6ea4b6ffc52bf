import {useEffect, useRef, useState} from 'react';
import {interruptWindowMs} from '../keys.js';

// What the doctor's screen and the fleet's share: a first Ctrl-C that arms the quit for a moment, and one call of
// onExit once the exit code is known.

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
