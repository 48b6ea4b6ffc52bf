import {Box, Text} from 'ink';
import type {Found, Plan} from '../../doctor/model.js';
import {confirmLines} from '../../doctor/present.js';
import {keyHints} from '../keys.js';
import {useTheme} from '../theme.js';
import {LineText, StepLines} from './step-lines.js';

interface Props {
	readonly plan: Plan;
	readonly found: Found | undefined;
	/** False with --no-restart. */
	readonly restart: boolean;
}

/** The explicit question, and what a yes does, in order. The keys are handled by useDoctorKeys. */
export function ConfirmPrompt({plan, found, restart}: Props) {
	const theme = useTheme();
	const {question, effects} = confirmLines(plan, found, restart);
	return (
		<Box flexDirection="column">
			<StepLines lines={effects} />
			<LineText line={question} />
			<Text wrap="wrap" {...theme.text.dim}>
				{keyHints.confirm}
			</Text>
		</Box>
	);
}
