import type {DoctorState} from '../doctor/machine.js';
import {stepIds, stepTitles, type StepId} from '../doctor/model.js';
import {
	cancellingLine,
	confirmLines,
	connectLines,
	detectLines,
	failureLine,
	findLines,
	headerLine,
	noteCode,
	noteLine,
	patchedLine,
	planAboveLine,
	planChangeLines,
	planCheckLines,
	planPatchLines,
	pendingStepsLine,
	foldedLinesLine,
	restartedLine,
	rolloutGrid,
	rolloutHeadline,
	rolloutLegend,
	rolloutNodeLines,
	rolloutPendingLines,
	rolloutStatusLine,
	ruleDiff,
	ruleDiffHeadings,
	stepSummaryLine,
	verifyLines,
	type Line,
} from '../doctor/present.js';
import type {Diagnosis, Plan, RolloutView} from '../doctor/model.js';
import type {DryRun} from '../options.js';
import {confirmKeyHint, keyHints} from './keys.js';
import {lineRows, linesRows, textRows} from './measure.js';

// What the screen shows, as pure decisions: the views only draw them.

/** The rule diff shows current and needed side by side from this terminal width on, stacked below it. */
export const sideBySideMinColumns = 100;
/** Below this width a finished step's one-line result goes under its title instead of beside it. */
export const inlineSummaryMinColumns = 60;
/** Rollouts of more nodes than this draw a grid of one cell per node instead of one line per node. */
export const rolloutLineMaxNodes = 20;
/** Detail lines sit this far right of the status mark. */
export const detailIndent = 4;
/** The titles' column, so that the one-line results line up. */
export const titleWidth = Math.max(...stepIds.map(id => stepTitles[id].length)) + 2;

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

/** The lines of a step that has no view of its own (all but the plan, the question and the rollout). */
export function simpleStepLines(state: DoctorState, step: StepId): Line[] {
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

/** The lines a step in the live area shows: all of them, or the last layout.detailMax under a line saying so. */
export function liveStepLines(state: DoctorState, step: StepId, layout: Pick<LiveLayout, 'detailMax'>): Line[] {
	const lines = simpleStepLines(state, step);
	const max = layout.detailMax;
	if (max === undefined || state.steps[step] !== 'running' || lines.length <= max) return lines;
	const kept = Math.max(0, max - 1);
	return [foldedLinesLine(lines.length - kept, step === 'detect' || step === 'verify'), ...lines.slice(lines.length - kept)];
}

/**
 * The screen is a log of finished steps (printed once, above, and never redrawn) and a live area below with
 * the step in progress and those still to come. Each entry keeps the state it was printed with. While the
 * question waits, what does not fit next to it is printed above it too: the plan (with its JSON patch when
 * asked for), the patch asked for later, and in the shortest terminals the list of what a yes does.
 */
export type LogEntry =
	| {key: string; kind: 'header'; state: DoctorState}
	| {key: string; kind: 'step'; step: StepId; state: DoctorState; patch?: boolean}
	| {key: string; kind: 'plan-patch'; state: DoctorState}
	| {key: string; kind: 'effects'; state: DoctorState};

export interface StepLog {
	entries: LogEntry[];
	/** Index in stepIds of the first step not printed yet. */
	cursor: number;
	/**
	 * Set once the plan was printed before it was finished with (arrangeLog), until it is planned again: what else
	 * was printed with it.
	 */
	above?: {patch: boolean; effects: boolean};
}

export const emptyStepLog: StepLog = {entries: [], cursor: 0};

const planIndex = stepIds.indexOf('plan');
const confirmIndex = stepIds.indexOf('confirm');

/** A step is printed once it is finished and nothing can change how it reads. */
function isSettled(state: DoctorState, step: StepId): boolean {
	const status = state.steps[step];
	if (status === 'pending' || status === 'running') return false;
	if (state.current === step) return false;
	// The plan stays next to the question until it is answered (unless it does not fit there: arrangeLog).
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
	return {entries: [...log.entries, ...added], cursor, ...(reopened === -1 && log.above ? {above: log.above} : {})};
}

type Unkeyed<T> = T extends unknown ? Omit<T, 'key'> : never;

function appended(log: StepLog, entry: Unkeyed<LogEntry>, changes: Partial<StepLog>): StepLog {
	return {...log, ...changes, entries: [...log.entries, {...entry, key: `${log.entries.length}-${entry.kind}`} as LogEntry]};
}

// The live area's height, counted the way the views draw it (doctor-view.tsx and its components), so that the
// layout is chosen before anything is drawn. Ink redraws a live area in place only while it is shorter than the
// terminal: one as tall or taller cannot be erased by moving the cursor up, so each redraw (a spinner's tick)
// would clear the screen and leave another copy of it in the scrollback.

/** What the live area draws, decided so that it stays shorter than the terminal (at most rows - 1 rows). */
export interface LiveLayout {
	/** The steps still to come on one line instead of one line each. */
	foldPending: boolean;
	/** The rollout as a grid of one cell per node rather than one line per node. */
	rolloutGrid: boolean;
	/** Under the rollout's grid, the nodes it waits on and why (kubectl's status line says how many). */
	rolloutWaiting: boolean;
	/** The question waits with the plan printed above it (the live area says so). */
	planAbove: boolean;
	/** ... and the list of what a yes does too. */
	effectsAbove: boolean;
	/** The JSON patch and reconcile YAML: printed above, so the key prints them instead of toggling them. */
	patchAbove: boolean;
	/**
	 * At most this many of the running step's lines (its last ones), under a line that says how many are above
	 * and where to read them; undefined: all of them.
	 */
	detailMax?: number | undefined;
	/** Rows the live area takes. */
	rows: number;
}

/** What the footer shows besides the state: a quit by a second Ctrl-C, with the cluster's state it names. */
export interface LiveExtras {
	quit?: {clusterState: string} | undefined;
}

/** The live area may take this many rows of a terminal `rows` tall: one is left for the cursor below it. */
export function liveBudget(rows: number): number {
	return Math.max(1, rows - 1);
}

const inner = (columns: number) => Math.max(1, columns - detailIndent);
const detailWidth = (columns: number) => Math.max(10, columns - detailIndent);

function ruleDiffRows(plan: Plan, diagnosis: Diagnosis, width: number, sideBySide: boolean): number {
	const diff = ruleDiff(plan, diagnosis);
	const headings = ruleDiffHeadings(plan);
	const current = (w: number) => lineRows([{text: headings.current}], w) + diff.current.reduce((sum, row) => sum + lineRows([{text: `  ${row.text}`}], w), 0);
	const needed = (w: number) =>
		lineRows([{text: headings.needed}], w) +
		diff.needed.reduce((sum, row) => sum + lineRows([{text: `${row.mark} ${row.text}`}], w) + (row.missing === true && row.why ? lineRows([{text: row.why}], Math.max(1, w - 4)) : 0), 0);
	if (!sideBySide) return current(width) + needed(width);
	const left = Math.floor((width - 2) / 2);
	return Math.max(current(left), needed(width - 2 - left));
}

function planDetailLines(state: DoctorState, patch: boolean): Line[] {
	const plan = state.plan!;
	return [...(plan.patch.empty ? [] : planChangeLines(plan)), ...(patch && !plan.patch.empty ? planPatchLines(plan) : []), ...(showPlanChecks(state) ? planCheckLines(plan) : [])];
}

function failureRows(state: DoctorState, step: StepId, width: number): number {
	return state.failure?.step === step ? lineRows(failureLine(state.failure), width) : 0;
}

/** Rows of the plan's detail: the rule diff, the change, the patch when shown, the checks. */
function planRows(state: DoctorState, columns: number, patch: boolean): number {
	const {plan, diagnosis} = state;
	if (!plan || !diagnosis) return failureRows(state, 'plan', inner(columns));
	return ruleDiffRows(plan, diagnosis, detailWidth(columns), columns >= sideBySideMinColumns) + linesRows(planDetailLines(state, patch), inner(columns)) + failureRows(state, 'plan', inner(columns));
}

/** Rows of the question: what a yes does (unless printed above), a line pointing at the plan above, the question, its keys. */
function confirmRows(state: DoctorState, columns: number, mode: ViewMode, layout: Pick<LiveLayout, 'planAbove' | 'effectsAbove' | 'patchAbove'>): number {
	const width = inner(columns);
	const {question, effects} = confirmLines(state.plan!, state.found, mode.restart);
	return (
		(layout.planAbove ? lineRows(planAboveLine(state, layout.effectsAbove), width) : 0) +
		(layout.effectsAbove ? 0 : linesRows(effects, width)) +
		lineRows(question, width) +
		textRows(confirmKeyHint(layout), width)
	);
}

/** Rows of the rollout's view (rollout-view.tsx). */
function rolloutRows(rollout: RolloutView, width: number, grid: boolean, waiting: boolean): number {
	const body = grid ? rolloutGrid(rollout, width).length + lineRows(rolloutLegend(rollout.progress, width), width, true) : linesRows(rolloutNodeLines(rollout), width, true);
	return lineRows(rolloutHeadline(rollout), width, true) + body + lineRows(rolloutStatusLine(rollout), width, true) + (grid && waiting ? linesRows(rolloutPendingLines(rollout), width, true) : 0);
}

function detailRows(state: DoctorState, step: StepId, columns: number, mode: ViewMode, layout: LiveLayout, patch: boolean): number {
	switch (step) {
		case 'plan':
			return planRows(state, columns, patch);
		case 'confirm':
			return isAsking(state) && state.plan ? confirmRows(state, columns, mode, layout) : failureRows(state, step, inner(columns));
		case 'rollout':
			return (state.rollout ? rolloutRows(state.rollout, detailWidth(columns), layout.rolloutGrid, layout.rolloutWaiting) : 0) + failureRows(state, step, inner(columns));
		default: {
			const note = state.liveNote?.step === step && state.steps[step] === 'running' ? lineRows(noteLine(state.liveNote.note, noteCode(state, state.liveNote.note)), inner(columns)) : 0;
			return linesRows(liveStepLines(state, step, layout), inner(columns)) + note + failureRows(state, step, inner(columns));
		}
	}
}

/** Rows of one step (step-row.tsx): its title row, its one-line result beside or under it, its detail. */
export function stepRows(state: DoctorState, step: StepId, columns: number, mode: ViewMode, layout: LiveLayout, patch: boolean): number {
	const detail = stepDetail(state, step);
	const summary = detail === 'summary' ? stepSummaryLine(state, step, mode.yes) : undefined;
	let rows = 1;
	if (summary && columns >= inlineSummaryMinColumns) rows = Math.max(1, lineRows(summary, Math.max(1, columns - 2 - titleWidth)));
	else if (summary) rows += lineRows(summary, inner(columns));
	return rows + (detail === 'full' ? detailRows(state, step, columns, mode, layout, patch) : 0);
}

/** The steps from `from` on that the live area lists, and where the run of steps still to come starts. */
export function liveSteps(state: DoctorState, log: StepLog): {steps: StepId[]; pendingFrom: number} {
	const steps = stepIds.slice(log.cursor);
	let pendingFrom = steps.length;
	while (pendingFrom > 0 && ['pending', 'skipped'].includes(state.steps[steps[pendingFrom - 1]!])) pendingFrom--;
	return {steps, pendingFrom};
}

function footerRows(state: DoctorState, columns: number): number {
	if (state.cancelling) return 1 + Math.max(lineRows(cancellingLine(true, state.cancelledBy), columns), lineRows(cancellingLine(false, state.cancelledBy), columns));
	if (isAsking(state)) return 0;
	return 1 + textRows(keyHints.running, columns);
}

/** Rows of the whole live area for `layout` (its `rows` ignored). */
function liveRows(state: DoctorState, log: StepLog, mode: ViewMode, size: ViewSize, layout: LiveLayout, extras: LiveExtras): number {
	// At the end nothing is live: the last frame is printed once (doctor-view.tsx).
	if (state.outcome || extras.quit) return 0;
	const {columns} = size;
	const header = log.entries.length === 0 ? lineRows(headerLine(state, mode), columns) + 1 : 0;
	const {steps, pendingFrom} = liveSteps(state, log);
	const folded = layout.foldPending && steps.length - pendingFrom > 1;
	const listed = folded ? steps.slice(0, pendingFrom) : steps;
	const patch = showPlanPatch(state, size.detailsRequested) && !layout.patchAbove;
	const stepsRows = listed.reduce((sum, step) => sum + stepRows(state, step, columns, mode, layout, patch), 0) + (folded ? lineRows(pendingStepsLine(steps.slice(pendingFrom)), columns) : 0);
	return header + stepsRows + footerRows(state, columns);
}

/**
 * How the live area is drawn for this state, log and terminal: the richest arrangement that fits in
 * liveBudget(rows). In order: the rollout drawn one line per node (up to 20 nodes), then as a grid; the nodes
 * it waits on listed, then left to kubectl's status line; the steps still to come one line each, then on one line.
 * The plan, its patch and the list of what a yes does are printed above the question by arrangeLog, which this
 * reads from the log. When even the leanest does not fit (a terminal a few rows tall), the leanest it is.
 */
export function liveLayout(state: DoctorState, log: StepLog, mode: ViewMode, size: ViewSize, extras: LiveExtras = {}): LiveLayout {
	const planAbove = isAsking(state) && log.cursor > planIndex && log.cursor <= confirmIndex;
	const base = {planAbove, effectsAbove: planAbove && Boolean(log.above?.effects), patchAbove: planAbove && Boolean(log.above?.patch)};
	const nodes = state.rollout ? Math.max(state.rollout.progress.desired, state.rollout.progress.cells.length) : 0;
	const candidates: Array<Omit<LiveLayout, 'rows'>> = [];
	for (const foldPending of [false, true]) {
		if (nodes <= rolloutLineMaxNodes) candidates.push({...base, foldPending, rolloutGrid: false, rolloutWaiting: true});
		candidates.push({...base, foldPending, rolloutGrid: true, rolloutWaiting: true}, {...base, foldPending, rolloutGrid: true, rolloutWaiting: false});
	}
	const budget = liveBudget(size.rows);
	let chosen: LiveLayout | undefined;
	for (const candidate of candidates) {
		chosen = {...candidate, rows: liveRows(state, log, mode, size, {...candidate, rows: 0}, extras)};
		if (chosen.rows <= budget) return chosen;
	}
	// Last, the running step's own lines: as many of its last ones as fit.
	const running = state.current && state.steps[state.current] === 'running' ? simpleStepLines(state, state.current).length : 0;
	for (let detailMax = running - 1; detailMax >= 1; detailMax--) {
		const candidate = {...chosen!, detailMax};
		chosen = {...candidate, rows: liveRows(state, log, mode, size, candidate, extras)};
		if (chosen.rows <= budget) return chosen;
	}
	return chosen!;
}

/** How a step printed in the log is drawn: in full, the rollout as a grid only for more than 20 nodes. */
export function printedLayout(state: DoctorState): LiveLayout {
	const nodes = state.rollout ? Math.max(state.rollout.progress.desired, state.rollout.progress.cells.length) : 0;
	return {foldPending: false, rolloutGrid: nodes > rolloutLineMaxNodes, rolloutWaiting: true, planAbove: false, effectsAbove: false, patchAbove: false, rows: 0};
}

/**
 * The log for `state` on this terminal: advanceStepLog, then, while the question waits, whatever does not fit
 * next to it printed above it, once: first the plan (with its JSON patch and YAML when they were asked for),
 * then the patch asked for later, then the list of what a yes does. Returns `log` itself when nothing changed.
 */
export function arrangeLog(log: StepLog, state: DoctorState, mode: ViewMode, size: ViewSize, extras: LiveExtras = {}): StepLog {
	let next = advanceStepLog(log, state);
	// A plan printed early had no reason to carry its patch; at an end where nothing was applied it has one (the
	// fix to copy, as a plan printed at the end shows it): printed then, once, above the outcome.
	if (state.outcome && next.above && !next.above.patch && state.plan && !state.plan.patch.empty && showPlanPatch(state, false)) {
		return appended(next, {kind: 'plan-patch', state}, {above: {...next.above, patch: true}});
	}
	// At the outcome the steps that are over (the last one stayed live until now) join the log, each as it read when it
	// finished; the rest of the last frame is printed after them, once (doctor-view.tsx), and nothing stays live.
	if (state.outcome) {
		while (next.cursor < stepIds.length) {
			const step = stepIds[next.cursor]!;
			const status = state.steps[step];
			if (status === 'pending' || status === 'running') break;
			next = appended(next, {kind: 'step', step, state}, {cursor: next.cursor + 1});
		}
		return next;
	}
	// The plan is final once planned: from then on until the answer, it may go above the question.
	const deciding = isAsking(state) || (state.current === 'plan' && state.steps.plan === 'running' && !state.cancelling && !state.outcome);
	if (!deciding || !state.plan || next.cursor < planIndex || next.cursor > confirmIndex) return next;
	const budget = liveBudget(size.rows);
	const fits = (candidate: StepLog) => liveLayout(state, candidate, mode, size, extras).rows <= budget;
	if (next.cursor === planIndex) {
		if (fits(next)) return next;
		const patch = size.detailsRequested && !state.plan.patch.empty;
		// Printed as it will read once done: its spinner would stay in the scrollback otherwise.
		const printed: DoctorState = {...state, steps: {...state.steps, plan: 'done'}};
		next = appended(next, {kind: 'step', step: 'plan', state: printed, patch}, {cursor: confirmIndex, above: {patch, effects: false}});
	}
	if (!isAsking(state)) return next;
	const above = next.above ?? {patch: false, effects: false};
	if (size.detailsRequested && !above.patch && !state.plan.patch.empty) next = appended(next, {kind: 'plan-patch', state}, {above: {...above, patch: true}});
	if (!next.above?.effects && !fits(next)) next = appended(next, {kind: 'effects', state}, {above: {patch: next.above?.patch ?? false, effects: true}});
	return next;
}
