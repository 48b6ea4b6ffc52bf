import {useInput, useStdin} from 'ink';
import {commandFor} from '../keys.js';
import {isAsking} from '../layout.js';
import type {DoctorControls} from './use-doctor.js';

interface Handlers extends Pick<DoctorControls, 'state' | 'answer' | 'interrupt'> {
	/** Show or hide the JSON patch and the reconcile YAML next to the question. */
	toggleDetails(): void;
	/** Ctrl-Z: stop until fg. */
	suspend(): void;
}

/** Wires key presses, through the key map, to the doctor's controls. */
export function useDoctorKeys({state, answer, interrupt, toggleDetails, suspend}: Handlers): void {
	const {isRawModeSupported} = useStdin();
	const context = isAsking(state) ? 'confirm' : 'running';
	useInput(
		(input, key) => {
			switch (commandFor(input, key, context)) {
				case 'interrupt':
					interrupt();
					break;
				case 'suspend':
					suspend();
					break;
				case 'confirm-yes':
					answer(true);
					break;
				case 'confirm-no':
					answer(false);
					break;
				case 'toggle-details':
					toggleDetails();
					break;
				case undefined:
					break;
			}
		},
		{isActive: isRawModeSupported && !state.outcome},
	);
}
