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

/** Calls onExit once, the first time the exit code is known (the latest onExit given). */
export function useExitOnce(exitCode: number | undefined, onExit: (code: number) => void): void {
	const exited = useRef(false);
	const onExitRef = useRef(onExit);
	onExitRef.current = onExit;
	useEffect(() => {
		if (exitCode === undefined || exited.current) return;
		exited.current = true;
		onExitRef.current(exitCode);
	}, [exitCode]);
}
