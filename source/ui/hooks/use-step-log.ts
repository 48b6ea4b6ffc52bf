import {useState} from 'react';
import type {DoctorState} from '../../doctor/machine.js';
import {arrangeLog, emptyStepLog, type LiveExtras, type StepLog, type ViewMode, type ViewSize} from '../layout.js';

/**
 * The finished steps to print once above the live area; grows as steps settle, and while the question waits
 * with what does not fit beside it on this terminal (see arrangeLog).
 */
export function useStepLog(state: DoctorState, mode: ViewMode, size: ViewSize, extras: LiveExtras = {}): StepLog {
	const [log, setLog] = useState<StepLog>(emptyStepLog);
	const next = arrangeLog(log, state, mode, size, extras);
	// Derived from the previous render's log: update it now so no frame shows a step both printed and live.
	if (next !== log) setLog(next);
	return next;
}
