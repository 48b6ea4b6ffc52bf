import {useState} from 'react';
import type {DoctorState} from '../../doctor/machine.js';
import {advanceStepLog, emptyStepLog, type StepLog} from '../layout.js';

/** The finished steps to print once above the live area; grows as steps settle (see advanceStepLog). */
export function useStepLog(state: DoctorState): StepLog {
	const [log, setLog] = useState<StepLog>(emptyStepLog);
	const next = advanceStepLog(log, state);
	// Derived from the previous render's log: update it now so no frame shows a step both printed and live.
	if (next !== log) setLog(next);
	return next;
}
