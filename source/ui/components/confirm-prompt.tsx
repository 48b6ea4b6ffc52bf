import {Box} from 'ink';
import type {DoctorState} from '../../doctor/machine.js';
import type {Found, Plan} from '../../doctor/model.js';
import {confirmLines, planAboveLine} from '../../doctor/present.js';
import {confirmKeyHint} from '../keys.js';
import type {LiveLayout} from '../layout.js';
import {LineText, StepLines} from './step-lines.js';

interface Props {
	readonly state: DoctorState;
	readonly plan: Plan;
	readonly found: Found | undefined;
	/** False with --no-restart. */
	readonly restart: boolean;
	/** What of the plan and the question was printed above instead (a short terminal). */
	readonly layout: Pick<LiveLayout, 'planAbove' | 'effectsAbove' | 'patchAbove'>;
}

/**
 * The explicit question, and what a yes does, in order (or, in a terminal too short for it, where that was
 * printed). The keys are handled by useDoctorKeys.
 */
export function ConfirmPrompt({state, plan, found, restart, layout}: Props) {
	const {question, effects} = confirmLines(plan, found, restart);
	return (
		<Box flexDirection="column">
			{layout.planAbove ? <LineText line={planAboveLine(state, layout.effectsAbove)} /> : null}
			{layout.effectsAbove ? null : <StepLines lines={effects} />}
			<LineText line={question} />
			<LineText line={[{text: confirmKeyHint(layout), style: 'dim'}]} />
		</Box>
	);
}
