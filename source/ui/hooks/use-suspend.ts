import {useCallback, useRef, useState} from 'react';
import {useApp} from 'ink';

// Ctrl-Z. Raw mode reads it as a key (the terminal's ISIG is off), so it could not stop a long rollout: do what the
// terminal's Ctrl-Z does, after giving the terminal back (Ink's suspendTerminal: cooked mode, the cursor shown, the
// live frame erased), and take it back on fg (raw mode again, the frame drawn whole).

/**
 * Without a SIGCONT by then the stop did not happen (an orphaned process group, no job control, discards SIGTSTP):
 * carry on rather than wait for a fg that cannot come. A stopped process runs no timer: a real stop is not cut short.
 */
const continueWaitMs = 1000;

/** Stops this process as the terminal's Ctrl-Z would; resolves once it runs again (fg, bg, kill -CONT). */
async function stopUntilContinued(): Promise<void> {
	// First let React commit the suspension: a question on screen is no longer armed when the process runs again.
	await new Promise(resolve => {
		setImmediate(resolve);
	});
	await new Promise<void>(resolve => {
		let timer: NodeJS.Timeout | undefined;
		const continued = () => {
			clearTimeout(timer);
			process.off('SIGCONT', continued);
			resolve();
		};
		process.on('SIGCONT', continued);
		process.kill(process.pid, 'SIGTSTP');
		timer = setTimeout(continued, continueWaitMs);
	});
}

export interface Suspension {
	/** Ctrl-Z: gives the terminal back and stops until fg. */
	suspend(): void;
	/** True from the Ctrl-Z until the frame is drawn again. */
	suspended: boolean;
}

/** The Ctrl-Z of the doctor's screen and the fleet's. */
export function useSuspend(): Suspension {
	const {suspendTerminal} = useApp();
	const [suspended, setSuspended] = useState(false);
	const stopping = useRef(false);
	const suspend = useCallback(() => {
		if (stopping.current) return;
		stopping.current = true;
		setSuspended(true);
		void suspendTerminal(stopUntilContinued)
			.catch(() => {
				// Ink restores the terminal even when the stop fails; the run goes on as before.
			})
			.finally(() => {
				stopping.current = false;
				setSuspended(false);
			});
	}, [suspendTerminal]);
	return {suspend, suspended};
}
