// The fleet's state: one doctor state per context, folded from that context's own event stream, plus where each
// context stands in the schedule and the one question asked for them all. Named events in, new state out. Pure:
// the times come in the events.
import type {StopCause} from '../signals.js';
import {doctorReducer, initialState as doctorInitialState, type DoctorEvent, type DoctorState} from '../doctor/machine.js';

/**
 * Where a context stands: waiting for a slot (--parallel: before its start, and again after it gave its slot back),
 * running its flow, waiting for the user's answer, waiting for contexts before it that may reach the same Multus
 * (its `waitingFor`), finished.
 */
export type ContextPhase = 'queued' | 'running' | 'asking' | 'waiting' | 'finished';

/** What a context's time went to: its own work, and each kind of wait that is not (ms). */
export interface ContextTimes {
	/** Its flow at work: requests, rollout, proof. */
	work: number;
	/** Waiting for a --parallel slot: before its start, and after the answer or its turn until it had one again. */
	slot: number;
	/** Waiting for the user's answer: the user's time, not the cluster's. */
	answer: number;
	/** Waiting for its turn after contexts before it that may reach the same Multus (changed once, through the first). */
	turn: number;
}

const timeOfPhase: Record<Exclude<ContextPhase, 'finished'>, keyof ContextTimes> = {queued: 'slot', running: 'work', asking: 'answer', waiting: 'turn'};

export interface ContextEntry {
	name: string;
	/** The server its kubeconfig cluster names (known before any request). */
	server: string;
	phase: ContextPhase;
	/** The doctor's state for this context, from its own events. */
	doctor: DoctorState;
	startedAt: number | undefined;
	finishedAt: number | undefined;
	/** Since when it has been in its phase (the fleet's start for one still queued). */
	phaseSince: number;
	/** Its time so far, by what it went to, up to phaseSince (timesAt adds the phase it is in). */
	times: ContextTimes;
	/** The contexts before it that it waits for, in the kubeconfig's order, while its phase is waiting. */
	waitingFor?: string[];
}

/** The context's times at `now`: those closed, plus the phase it is in until now (nothing more once finished). */
export function timesAt(entry: ContextEntry, now: number): ContextTimes {
	if (entry.phase === 'finished') return entry.times;
	const key = timeOfPhase[entry.phase];
	return {...entry.times, [key]: entry.times[key] + Math.max(0, now - entry.phaseSince)};
}

/** How long a context has worked (ms): its own work alone, without its waits for a slot, an answer or its turn. */
export function workedMs(entry: ContextEntry, now: number): number | undefined {
	if (entry.startedAt === undefined) return undefined;
	return timesAt(entry, now).work;
}

/** The entry in `phase` from `at` on: the phase it leaves is added to its times. */
function enter(entry: ContextEntry, phase: ContextPhase, at: number): ContextEntry {
	if (entry.phase === 'finished') return entry;
	const times = timesAt(entry, Math.max(at, entry.phaseSince));
	return {...entry, phase, times, phaseSince: Math.max(at, entry.phaseSince)};
}

/** The question open for the fleet: which contexts' changes it asks about. */
export interface FleetQuestion {
	contexts: string[];
}

export interface FleetState {
	/** The contexts, in the kubeconfig's order. */
	order: string[];
	contexts: Record<string, ContextEntry>;
	question: FleetQuestion | undefined;
	/** Set once a Ctrl-C (or a stop signal) was seen: every context is stopping at its next safe point. */
	cancelling: boolean;
	/** What asked for the cancel: the user's Ctrl-C, or a signal the line names. */
	cancelledBy?: StopCause;
	startedAt: number | undefined;
	/** The fleet's exit code once every context finished: the most serious of theirs. */
	exitCode: number | undefined;
	finishedAt: number | undefined;
}

export type FleetEvent =
	| {type: 'fleet-started'; contexts: Array<{name: string; server: string}>; at: number}
	| {type: 'context-started'; context: string; at: number}
	/** One of the context's own doctor events. */
	| {type: 'context-event'; context: string; event: DoctorEvent; at: number}
	| {type: 'question'; contexts: string[]}
	/** The context waits for those before it that may reach the same Multus (changed once, through the first). */
	| {type: 'context-waiting'; context: string; for: string[]; at: number}
	/** The context, its slot given back (for the answer or its turn), waits for one again; context-started when it has one. */
	| {type: 'context-queued'; context: string; at: number}
	| {type: 'answered'; contexts: string[]; yes: boolean}
	| {type: 'cancel-requested'; by?: StopCause}
	| {type: 'fleet-finished'; exitCode: number; at: number};

export function initialFleetState(): FleetState {
	return {order: [], contexts: {}, question: undefined, cancelling: false, startedAt: undefined, exitCode: undefined, finishedAt: undefined};
}

function withContext(state: FleetState, name: string, change: (entry: ContextEntry) => ContextEntry): FleetState {
	const entry = state.contexts[name];
	if (!entry) return state;
	return {...state, contexts: {...state.contexts, [name]: change(entry)}};
}

export function fleetReducer(state: FleetState, event: FleetEvent): FleetState {
	switch (event.type) {
		case 'fleet-started':
			return {
				...state,
				startedAt: event.at,
				order: event.contexts.map(context => context.name),
				contexts: Object.fromEntries(
					event.contexts.map(context => [
						context.name,
						{name: context.name, server: context.server, phase: 'queued', doctor: doctorInitialState(), startedAt: undefined, finishedAt: undefined, phaseSince: event.at, times: {work: 0, slot: 0, answer: 0, turn: 0}} satisfies ContextEntry,
					]),
				),
			};
		case 'context-started':
			return withContext(state, event.context, entry => ({...enter(entry, 'running', event.at), startedAt: entry.startedAt ?? event.at}));
		case 'context-event':
			return withContext(state, event.context, entry => {
				const doctor = doctorReducer(entry.doctor, event.event);
				const type = event.event.type;
				// The answer arrives as confirm-answered, or (with a slot to wait for first) as context-queued before it.
				const phase: ContextPhase = type === 'finished' ? 'finished' : type === 'confirm-requested' ? 'asking' : type === 'confirm-answered' && entry.phase === 'asking' ? 'running' : entry.phase;
				const moved = phase === entry.phase ? entry : enter(entry, phase, event.at);
				return {...moved, doctor, finishedAt: type === 'finished' ? event.at : entry.finishedAt};
			});
		case 'context-waiting':
			return withContext(state, event.context, entry => ({...enter(entry, 'waiting', event.at), waitingFor: event.for}));
		case 'context-queued':
			return withContext(state, event.context, ({waitingFor: _done, ...entry}) => enter(entry, 'queued', event.at));
		case 'question':
			return {...state, question: {contexts: event.contexts}};
		case 'answered':
			return {...state, question: undefined};
		case 'cancel-requested':
			return {...state, cancelling: true, ...(event.by ? {cancelledBy: event.by} : {})};
		case 'fleet-finished':
			return {...state, exitCode: event.exitCode, finishedAt: event.at};
	}
}

/** The contexts in order. */
export function entriesOf(state: FleetState): ContextEntry[] {
	return state.order.map(name => state.contexts[name]!);
}
