import {Box, Static, Text} from 'ink';
import type {DoctorState} from '../../doctor/machine.js';
import {stepIds, stepTitles, type StepId} from '../../doctor/model.js';
import {
	cancellingLine,
	connectLines,
	detectLines,
	failureLine,
	findLines,
	headerLine,
	noteCode,
	noteLine,
	patchedLine,
	planChangeLines,
	planCheckLines,
	planPatchLines,
	quitLine,
	restartedLine,
	stepSummaryLine,
	verifyLines,
	type Line,
} from '../../doctor/present.js';
import type {DryRun} from '../../options.js';
import {keyHints} from '../keys.js';
import {
	detailIndent,
	inlineSummaryMinColumns,
	isAsking,
	rolloutUsesGrid,
	showPlanChecks,
	showPlanPatch,
	sideBySideMinColumns,
	stepDetail,
	type StepLog,
} from '../layout.js';
import {useTheme} from '../theme.js';
import {ConfirmPrompt} from './confirm-prompt.js';
import {RolloutView} from './rollout-view.js';
import {RuleDiff} from './rule-diff.js';
import {StepRow} from './step-row.js';
import {LineText, StepLines} from './step-lines.js';
import {Summary} from './summary.js';

/** The flags that change what the view says. */
export interface ViewMode {
	context: string | undefined;
	check: boolean;
	dryRun: DryRun;
	restart: boolean;
	yes: boolean;
}

/** The terminal's size and what the user asked to see. */
export interface ViewSize {
	columns: number;
	rows: number;
	/** The JSON patch and reconcile YAML next to the question (toggled by a key). */
	detailsRequested: boolean;
}

export interface DoctorViewProps {
	readonly state: DoctorState;
	/** The steps already printed above the live area. */
	readonly log: StepLog;
	readonly size: ViewSize;
	readonly mode: ViewMode;
	/** A Ctrl-C was just pressed: a second one quits. */
	readonly quitArmed?: boolean;
	readonly quit?: {clusterState: string} | undefined;
}

const titleWidth = Math.max(...stepIds.map(id => stepTitles[id].length)) + 2;

function simpleLines(state: DoctorState, step: StepId): Line[] {
	switch (step) {
		case 'connect':
			return connectLines(state);
		case 'find':
			return findLines(state.found);
		case 'detect':
			return detectLines(state.diagnosis, state.found);
		case 'patch':
			return state.patch ? [patchedLine(state.patch)] : [];
		case 'restart':
			return state.restart ? [restartedLine(state.restart)] : [];
		case 'verify':
			return verifyLines(state.verification, state.found, state.proofProgress);
		default:
			return [];
	}
}

interface StepProps {
	readonly state: DoctorState;
	readonly step: StepId;
	readonly size: ViewSize;
	readonly mode: ViewMode;
}

function StepDetail({state, step, size, mode}: StepProps) {
	const width = Math.max(10, size.columns - detailIndent);
	const failure = state.failure?.step === step ? <LineText line={failureLine(state.failure)} /> : null;
	switch (step) {
		case 'plan': {
			const {plan, diagnosis} = state;
			if (!plan || !diagnosis) return failure;
			const details = [
				...(plan.patch.empty ? [] : planChangeLines(plan)),
				...(showPlanPatch(state, size.detailsRequested) && !plan.patch.empty ? planPatchLines(plan) : []),
				...(showPlanChecks(state) ? planCheckLines(plan) : []),
			];
			return (
				<>
					<RuleDiff plan={plan} diagnosis={diagnosis} width={width} sideBySide={size.columns >= sideBySideMinColumns} />
					<StepLines lines={details} />
					{failure}
				</>
			);
		}
		case 'confirm':
			return isAsking(state) && state.plan ? <ConfirmPrompt plan={state.plan} found={state.found} restart={mode.restart} /> : failure;
		case 'rollout':
			return (
				<>
					{state.rollout ? <RolloutView rollout={state.rollout} width={width} grid={rolloutUsesGrid(state.rollout.progress, size.rows)} /> : null}
					{failure}
				</>
			);
		default:
			return (
				<>
					<StepLines lines={simpleLines(state, step)} />
					{state.liveNote?.step === step && state.steps[step] === 'running' ? <LineText line={noteLine(state.liveNote.note, noteCode(state, state.liveNote.note))} /> : null}
					{failure}
				</>
			);
	}
}

/** One step: its row in the list, and under it as much detail as stepDetail decides. */
function Step({state, step, size, mode}: StepProps) {
	const detail = stepDetail(state, step);
	return (
		<StepRow
			title={stepTitles[step]}
			status={state.steps[step]}
			waiting={step === 'confirm' && isAsking(state)}
			still={step === 'rollout'}
			titleWidth={titleWidth}
			summary={detail === 'summary' ? stepSummaryLine(state, step, mode.yes) : undefined}
			inlineSummary={size.columns >= inlineSummaryMinColumns}
		>
			{detail === 'full' ? <StepDetail state={state} step={step} size={size} mode={mode} /> : null}
		</StepRow>
	);
}

function Header({state, mode}: {readonly state: DoctorState; readonly mode: ViewMode}) {
	return (
		<Box marginBottom={1}>
			<LineText line={headerLine(state, mode)} />
		</Box>
	);
}

function Footer({state, quitArmed, quit}: {readonly state: DoctorState; readonly quitArmed: boolean; readonly quit: DoctorViewProps['quit']}) {
	const theme = useTheme();
	if (quit) {
		return (
			<Box marginTop={1}>
				<LineText line={quitLine(quit.clusterState)} />
			</Box>
		);
	}

	if (state.outcome) return <Summary state={state} outcome={state.outcome} />;
	if (state.cancelling) {
		return (
			<Box marginTop={1}>
				<LineText line={cancellingLine(quitArmed)} />
			</Box>
		);
	}

	// The question shows its own keys.
	if (isAsking(state)) return null;
	return (
		<Box marginTop={1}>
			<Text wrap="wrap" {...theme.text.dim}>
				{keyHints.running}
			</Text>
		</Box>
	);
}

/**
 * The doctor screen: the steps that are finished, printed once and left in the scrollback (each as it read
 * when it finished), then a live area with the step in progress, the steps to come, and the outcome.
 */
export function DoctorView({state, log, size, mode, quitArmed = false, quit}: DoctorViewProps) {
	return (
		<>
			<Static items={log.entries}>
				{entry => (
					<Box key={entry.key} flexDirection="column" width={size.columns}>
						{entry.kind === 'header' ? <Header state={entry.state} mode={mode} /> : <Step state={entry.state} step={entry.step} size={size} mode={mode} />}
					</Box>
				)}
			</Static>
			<Box flexDirection="column" width={size.columns}>
				{log.entries.length === 0 ? <Header state={state} mode={mode} /> : null}
				{stepIds.slice(log.cursor).map(step => (
					<Step key={step} state={state} step={step} size={size} mode={mode} />
				))}
				<Footer state={state} quitArmed={quitArmed} quit={quit} />
			</Box>
		</>
	);
}
