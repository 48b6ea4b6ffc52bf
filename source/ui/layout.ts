import type {DoctorState} from '../doctor/machine.js';
import {stepIds, type StepId} from '../doctor/model.js';
import type {RolloutProgress} from '../multus/rollout.js';

// What the screen shows, as pure decisions: the views only draw them.

/** The rule diff shows current and needed side by side from this terminal width on, stacked below it. */
export const sideBySideMinColumns = 100;
/** Below this width a finished step's one-line result goes under its title instead of beside it. */
export const inlineSummaryMinColumns = 60;
/** Rollouts of more nodes than this draw a grid of one cell per node instead of one line per node. */
export const rolloutLineMaxNodes = 20;
/** Detail lines sit this far right of the status mark. */
export const detailIndent = 4;

/**
 * full: the step's evidence lines; summary: one line beside its title; none: the title only.
 * The running step and a failed one show everything; of the finished steps only the evidence an admin
 * wants to keep (what was wrong, the rule diff, the proof) stays open, the others fold to one line.
 */
export type Detail = 'full' | 'summary' | 'none';

export function stepDetail(state: DoctorState, step: StepId): Detail {
	const status = state.steps[step];
	if (status === 'pending' || status === 'skipped') return 'none';
	if (status === 'running' || status === 'failed') return 'full';
	if (step === 'detect' || step === 'verify' || step === 'plan') return 'full';
	return 'summary';
}

/** True while the user is being asked to apply the plan. */
export function isAsking(state: DoctorState): boolean {
	return state.confirm.state === 'asking' && !state.cancelling && !state.outcome;
}

/**
 * The JSON patch and the reconcile YAML: while deciding when asked for (a key toggles them), and at the end
 * when nothing was applied, so the fix can be copied.
 */
export function showPlanPatch(state: DoctorState, detailsRequested: boolean): boolean {
	if (!state.outcome) return (state.current === 'plan' || state.current === 'confirm') && detailsRequested;
	return !state.patch && state.outcome.verdict !== 'healthy';
}

/** The permission and ownership checks: while deciding, or when one of them is what stops the fix. */
export function showPlanChecks(state: DoctorState): boolean {
	if (!state.outcome && (state.current === 'plan' || state.current === 'confirm')) return true;
	const plan = state.plan;
	return Boolean(plan && (plan.blocked || plan.permissions.some(permission => !permission.allowed)));
}

/** One line per node for small rollouts that fit the terminal; a grid otherwise. */
export function rolloutUsesGrid(progress: RolloutProgress, rows: number): boolean {
	const nodes = Math.max(progress.desired, progress.cells.length);
	return nodes > Math.min(rolloutLineMaxNodes, Math.max(3, rows - 16));
}

/**
 * The screen is a log of finished steps (printed once, above, and never redrawn) and a live area below with
 * the step in progress and those still to come. Each entry keeps the state it was printed with.
 */
export type LogEntry = {key: string; kind: 'header'; state: DoctorState} | {key: string; kind: 'step'; step: StepId; state: DoctorState};

export interface StepLog {
	entries: LogEntry[];
	/** Index in stepIds of the first step not printed yet. */
	cursor: number;
}

export const emptyStepLog: StepLog = {entries: [], cursor: 0};

/** A step is printed once it is finished and nothing can change how it reads. */
function isSettled(state: DoctorState, step: StepId): boolean {
	const status = state.steps[step];
	if (status === 'pending' || status === 'running') return false;
	if (state.current === step) return false;
	// The plan stays next to the question until it is answered.
	if (step === 'plan' && state.current === 'confirm') return false;
	return true;
}

/** The log after `state`: the steps that settled since, in order. Returns `log` itself when nothing changed. */
export function advanceStepLog(log: StepLog, state: DoctorState): StepLog {
	let cursor = log.cursor;
	// A conflict sends the flow back to the plan: those steps are printed again when they settle again.
	const reopened = stepIds.findIndex((id, index) => index < cursor && state.steps[id] === 'pending');
	if (reopened !== -1) cursor = reopened;
	const added: LogEntry[] = [];
	while (cursor < stepIds.length && isSettled(state, stepIds[cursor]!)) {
		const step = stepIds[cursor]!;
		if (log.entries.length + added.length === 0) added.push({key: 'header', kind: 'header', state});
		added.push({key: `${log.entries.length + added.length}-${step}`, kind: 'step', step, state});
		cursor++;
	}
	if (added.length === 0 && cursor === log.cursor) return log;
	return {entries: [...log.entries, ...added], cursor};
}
