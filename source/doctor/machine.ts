import type {StopCause} from '../signals.js';
import {stepIds, type Connection, type CreatedRole, type Diagnosis, type FailureInfo, type Found, type Outcome, type PatchResult, type Plan, type RestartResult, type RolloutView, type StepId, type StepStatus, type Verification, type Proof} from './model.js';

/** Everything the doctor knows so far. Views render it; nothing else holds doctor state. */
export interface DoctorState {
	steps: Record<StepId, StepStatus>;
	current: StepId | undefined;
	connection: Connection | undefined;
	found: Found | undefined;
	diagnosis: Diagnosis | undefined;
	plan: Plan | undefined;
	/** The confirm prompt: waiting for an answer, or the answer. */
	confirm: {state: 'idle' | 'asking' | 'answered'; answer: boolean | undefined; conflictRetry: number};
	/** A dedicated ClusterRole created before its binding (set even if the binding then fails). */
	createdRole: CreatedRole | undefined;
	patch: PatchResult | undefined;
	restart: RestartResult | undefined;
	rollout: RolloutView | undefined;
	verification: Verification | undefined;
	/** The daemons' proof while the Verify step waits for it. */
	proofProgress: Proof | undefined;
	notes: string[];
	/** The notes that are findings, with their codes (a subset of notes). */
	notedFindings: Array<{note: string; code: string}>;
	/** The last note of the step still running (a write being read back): shown under it until the step ends. */
	liveNote: {step: StepId; note: string} | undefined;
	failure: FailureInfo | undefined;
	/** Set once a Ctrl-C (or a stop signal) was seen: the running step is being cancelled. */
	cancelling: boolean;
	/** What asked for the cancel: the user's Ctrl-C, or a signal the line names. */
	cancelledBy?: StopCause;
	outcome: Outcome | undefined;
}

export type DoctorEvent =
	| {type: 'step-started'; step: StepId}
	| {type: 'step-skipped'; step: StepId; note?: string; code?: string}
	| {type: 'connected'; connection: Connection}
	| {type: 'found'; found: Found}
	| {type: 'diagnosed'; diagnosis: Diagnosis}
	| {type: 'planned'; plan: Plan}
	| {type: 'confirm-requested'}
	| {type: 'confirm-answered'; yes: boolean}
	| {type: 'conflict'; note: string; code?: string}
	| {type: 'role-created'; created: CreatedRole}
	| {type: 'patched'; patch: PatchResult}
	| {type: 'restarted'; restart: RestartResult}
	| {type: 'rollout-progress'; rollout: RolloutView}
	| {type: 'verified'; verification: Verification}
	| {type: 'proof-progress'; proof: Proof}
	| {type: 'note'; note: string; code?: string}
	| {type: 'cancel-requested'; by?: StopCause}
	| {type: 'failed'; failure: FailureInfo}
	| {type: 'finished'; outcome: Outcome};

export function initialState(): DoctorState {
	return {
		steps: Object.fromEntries(stepIds.map(id => [id, 'pending'])) as Record<StepId, StepStatus>,
		current: undefined,
		connection: undefined,
		found: undefined,
		diagnosis: undefined,
		plan: undefined,
		confirm: {state: 'idle', answer: undefined, conflictRetry: 0},
		createdRole: undefined,
		patch: undefined,
		restart: undefined,
		rollout: undefined,
		verification: undefined,
		proofProgress: undefined,
		notes: [],
		notedFindings: [],
		liveNote: undefined,
		failure: undefined,
		cancelling: false,
		outcome: undefined,
	};
}

function finishCurrent(state: DoctorState, status: StepStatus = 'done'): DoctorState['steps'] {
	if (!state.current || state.steps[state.current] !== 'running') return state.steps;
	return {...state.steps, [state.current]: status};
}

/**
 * How a stopped step looks, decided here only: the step the flow was in when it stopped (a cancel, a failure, or
 * a quit that did not wait) did not finish, even if its own work was done before the stop came: failed.
 */
export function withStoppedStep(state: DoctorState): DoctorState {
	const step = state.current;
	if (!step || (state.steps[step] !== 'done' && state.steps[step] !== 'running')) return state;
	return {...state, steps: {...state.steps, [step]: 'failed'}};
}

/** The doctor's state machine: named events in, new state out. Pure. */
export function doctorReducer(state: DoctorState, event: DoctorEvent): DoctorState {
	switch (event.type) {
		case 'step-started': {
			const steps = finishCurrent(state);
			return {...state, steps: {...steps, [event.step]: 'running'}, current: event.step};
		}
		case 'step-skipped':
			return {
				...state,
				steps: {...finishCurrent(state), [event.step]: 'skipped'},
				notes: event.note ? [...state.notes, event.note] : state.notes,
				notedFindings: withFinding(state, event),
			};
		case 'connected':
			return {...state, connection: event.connection};
		case 'found':
			return {...state, found: event.found};
		case 'diagnosed':
			return {...state, diagnosis: event.diagnosis};
		case 'planned':
			return {...state, plan: event.plan};
		case 'confirm-requested':
			return {...state, confirm: {...state.confirm, state: 'asking', answer: undefined}};
		case 'confirm-answered':
			return {...state, confirm: {...state.confirm, state: 'answered', answer: event.yes}};
		case 'conflict':
			// Someone else changed the role between our read and our write: back to the diff, ask again.
			return {
				...state,
				steps: {...state.steps, plan: 'pending', confirm: 'pending', patch: 'pending'},
				confirm: {state: 'idle', answer: undefined, conflictRetry: state.confirm.conflictRetry + 1},
				notes: [...state.notes, event.note],
				notedFindings: withFinding(state, event),
			};
		case 'role-created':
			return {...state, createdRole: event.created};
		case 'patched':
			return {...state, patch: event.patch};
		case 'restarted':
			return {...state, restart: event.restart};
		case 'rollout-progress':
			return {...state, rollout: event.rollout};
		case 'verified':
			return {...state, verification: event.verification, proofProgress: undefined};
		case 'proof-progress':
			return {...state, proofProgress: event.proof};
		case 'note':
			return {...state, notes: [...state.notes, event.note], notedFindings: withFinding(state, event), liveNote: state.current && !state.outcome ? {step: state.current, note: event.note} : state.liveNote};
		case 'cancel-requested':
			return {...state, cancelling: true, ...(event.by ? {cancelledBy: event.by} : {})};
		case 'failed':
			return {...state, steps: {...state.steps, [event.failure.step]: 'failed'}, failure: event.failure};
		case 'finished': {
			const stopped = event.outcome.verdict === 'cancelled' || event.outcome.verdict === 'failed';
			return {...(stopped ? withStoppedStep(state) : {...state, steps: finishCurrent(state)}), current: undefined, outcome: event.outcome};
		}
	}
}

/** The noted findings, with this event's note if it carries a code. */
function withFinding(state: DoctorState, event: {note?: string; code?: string}): DoctorState['notedFindings'] {
	return event.note && event.code ? [...state.notedFindings, {note: event.note, code: event.code}] : state.notedFindings;
}

/** An observer that keeps the state the events add up to (for the JSON/YAML report at the end). */
export function stateKeeper(): {observe: (event: DoctorEvent) => void; readonly state: DoctorState} {
	let state = initialState();
	return {
		observe(event) {
			state = doctorReducer(state, event);
		},
		get state() {
			return state;
		},
	};
}
