import {Box} from 'ink';
import type {DoctorState} from '../../doctor/machine.js';
import type {Outcome} from '../../doctor/model.js';
import {outcomeLine, summaryLinesBesides} from '../../doctor/present.js';
import {useTheme} from '../theme.js';
import {LineText, StepLines} from './step-lines.js';

/** What changed, how to undo it, the notes, and the outcome in green or red. */
export function Summary({state, outcome}: {readonly state: DoctorState; readonly outcome: Outcome}) {
	const theme = useTheme();
	return (
		<Box flexDirection="column" marginTop={1}>
			<StepLines lines={summaryLinesBesides(state, outcome)} />
			<LineText line={outcomeLine(outcome)} base={theme.heading} />
		</Box>
	);
}
