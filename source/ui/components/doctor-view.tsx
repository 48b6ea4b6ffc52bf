import {useRef} from 'react';
import {Box, Static, Text} from 'ink';
import type {DoctorState} from '../../doctor/machine.js';
import {stepTitles, type StepId} from '../../doctor/model.js';
import {
	cancellingLine,
	confirmLines,
	effectsAboveHeading,
	failureLine,
	headerLine,
	noteCode,
	noteLine,
	pendingStepsLine,
	planChangeLines,
	planCheckLines,
	planPatchLines,
	quitLine,
	stepSummaryLine,
} from '../../doctor/present.js';
import {keyHints} from '../keys.js';
import {
	detailIndent,
	inlineSummaryMinColumns,
	isAsking,
	liveLayout,
	liveSteps,
	printedLayout,
	showPlanChecks,
	showPlanPatch,
	sideBySideMinColumns,
	liveStepLines,
	stepDetail,
	titleWidth,
	type LiveLayout,
	type LogEntry,
	type StepLog,
	type ViewMode,
	type ViewSize,
} from '../layout.js';
import {useTheme} from '../theme.js';
import {ConfirmPrompt} from './confirm-prompt.js';
import {RolloutView} from './rollout-view.js';
import {RuleDiff} from './rule-diff.js';
import {StepRow} from './step-row.js';
import {LineText, StepLines} from './step-lines.js';
import {Summary} from './summary.js';

export type {ViewMode, ViewSize} from '../layout.js';

export interface DoctorViewProps {
	readonly state: DoctorState;
	/** The steps already printed above the live area (arrangeLog). */
	readonly log: StepLog;
	readonly size: ViewSize;
	readonly mode: ViewMode;
	/** A Ctrl-C was just pressed: a second one quits. */
	readonly quitArmed?: boolean;
	readonly quit?: {clusterState: string} | undefined;
}

interface StepProps {
	readonly state: DoctorState;
	readonly step: StepId;
	readonly size: ViewSize;
	readonly mode: ViewMode;
	readonly layout: LiveLayout;
	/** The plan's JSON patch and YAML beside it. */
	readonly patch: boolean;
}

function StepDetail({state, step, size, mode, layout, patch}: StepProps) {
	const width = Math.max(10, size.columns - detailIndent);
	const failure = state.failure?.step === step ? <LineText line={failureLine(state.failure)} /> : null;
	switch (step) {
		case 'plan': {
			const {plan, diagnosis} = state;
			if (!plan || !diagnosis) return failure;
			const details = [
				...(plan.patch.empty ? [] : planChangeLines(plan)),
				...(patch && !plan.patch.empty ? planPatchLines(plan) : []),
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
			return isAsking(state) && state.plan ? <ConfirmPrompt state={state} plan={state.plan} found={state.found} restart={mode.restart} layout={layout} /> : failure;
		case 'rollout':
			return (
				<>
					{state.rollout ? <RolloutView rollout={state.rollout} width={width} grid={layout.rolloutGrid} waiting={layout.rolloutWaiting} /> : null}
					{failure}
				</>
			);
		default:
			return (
				<>
					<StepLines lines={liveStepLines(state, step, layout)} />
					{state.liveNote?.step === step && state.steps[step] === 'running' ? <LineText line={noteLine(state.liveNote.note, noteCode(state, state.liveNote.note))} /> : null}
					{failure}
				</>
			);
	}
}

/** One step: its row in the list, and under it as much detail as stepDetail decides. */
function Step({state, step, size, mode, layout, patch}: StepProps) {
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
			{detail === 'full' ? <StepDetail state={state} step={step} size={size} mode={mode} layout={layout} patch={patch} /> : null}
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
				<LineText line={cancellingLine(quitArmed, state.cancelledBy)} />
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

/** One entry of the log, as printed once above the live area. */
function Printed({entry, size, mode}: {readonly entry: LogEntry; readonly size: ViewSize; readonly mode: ViewMode}) {
	switch (entry.kind) {
		case 'header':
			return <Header state={entry.state} mode={mode} />;
		case 'step':
			return <Step state={entry.state} step={entry.step} size={size} mode={mode} layout={printedLayout(entry.state)} patch={entry.patch ?? showPlanPatch(entry.state, size.detailsRequested)} />;
		case 'plan-patch':
			return entry.state.plan ? (
				<Box paddingLeft={detailIndent}>
					<StepLines lines={planPatchLines(entry.state.plan)} />
				</Box>
			) : null;
		case 'effects':
			return entry.state.plan ? (
				<Box paddingLeft={detailIndent} flexDirection="column">
					<LineText line={effectsAboveHeading} />
					<StepLines lines={confirmLines(entry.state.plan, entry.state.found, mode.restart).effects} />
				</Box>
			) : null;
	}
}

/**
 * The doctor screen: the steps that are finished, printed once and left in the scrollback (each as it read
 * when it finished), then a live area with the step in progress, the steps to come, and the outcome, drawn
 * as liveLayout decides so that it stays shorter than the terminal.
 */
export function DoctorView({state, log, size, mode, quitArmed = false, quit}: DoctorViewProps) {
	const layout = liveLayout(state, log, mode, size, {quit});
	const {steps, pendingFrom} = liveSteps(state, log);
	const folded = layout.foldPending && steps.length - pendingFrom > 1;
	const patch = showPlanPatch(state, size.detailsRequested) && !layout.patchAbove;
	const live = (
		<Box flexDirection="column" width={size.columns}>
			{log.entries.length === 0 ? <Header state={state} mode={mode} /> : null}
			{(folded ? steps.slice(0, pendingFrom) : steps).map(step => (
				<Step key={step} state={state} step={step} size={size} mode={mode} layout={layout} patch={patch} />
			))}
			{folded ? <PendingSteps steps={steps.slice(pendingFrom)} /> : null}
			<Footer state={state} quitArmed={quitArmed} quit={quit} />
		</Box>
	);
	// At the end, the last frame (the outcome, or the quit) is printed once after the log, and the live area left
	// empty. Drawn live, a last frame taller than the terminal ended twice in the scrollback (Ink redraws it as it
	// exits, erasing only the rows on screen) and without a newline after its last line. The printed items are
	// fixed then: <Static> prints by position, so an entry added after the last frame would print it again.
	const finalItems = useRef<PrintedItem[] | undefined>(undefined);
	if ((state.outcome || quit) && !finalItems.current) finalItems.current = [...log.entries, {key: 'final', kind: 'final'}];
	return (
		<>
			<Static items={finalItems.current ?? log.entries}>
				{entry => (
					<Box key={entry.key} flexDirection="column" width={size.columns}>
						{entry.kind === 'final' ? live : <Printed entry={entry} size={size} mode={mode} />}
					</Box>
				)}
			</Static>
			{finalItems.current ? null : live}
		</>
	);
}

/** What <Static> prints: the log's entries, then, at the end, the last frame. */
type PrintedItem = LogEntry | {key: 'final'; kind: 'final'};

function PendingSteps({steps}: {readonly steps: StepId[]}) {
	return <LineText line={pendingStepsLine(steps)} />;
}
