// The fleet's state: one doctor state per context, folded from that context's own event stream, plus where each
// context stands in the schedule and the one question asked for them all. Named events in, new state out. Pure:
// the times come in the events.
import {doctorReducer, initialState as doctorInitialState, type DoctorEvent, type DoctorState} from '../doctor/machine.js';

/**
 * Where a context stands: waiting for a slot, running its flow, waiting for the user's answer, waiting for another
 * context that reaches the same Multus (its `waitingFor`), finished.
 */
export type ContextPhase = 'queued' | 'running' | 'asking' | 'waiting' | 'finished';

export interface ContextEntry {
	name: string;
	/** The server its kubeconfig cluster names (known before any request). */
	server: string;
	phase: ContextPhase;
	/** The doctor's state for this context, from its own events. */
	doctor: DoctorState;
	startedAt: number | undefined;
	finishedAt: number | undefined;
	/** When its flow asked for the answer it waits for now (undefined when it waits for none). */
	askedAt: number | undefined;
	/** How long it waited for answers, in all: the user's time, not the cluster's. */
	waitedMs: number;
	/** The context before it that it waits for, while its phase is waiting. */
	waitingFor?: string;
}

/** How long a context has worked (ms): from its start to its end or now, without the time it waited for answers. */
export function workedMs(entry: ContextEntry, now: number): number | undefined {
	if (entry.startedAt === undefined) return undefined;
	return Math.max(0, (entry.finishedAt ?? entry.askedAt ?? now) - entry.startedAt - entry.waitedMs);
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
	/** Set once a Ctrl-C was seen: every context is stopping at its next safe point. */
	cancelling: boolean;
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
	/** The context waits for one before it that may reach the same Multus (changed once, through the first). */
	| {type: 'context-waiting'; context: string; for: string}
	| {type: 'context-resumed'; context: string}
	| {type: 'answered'; contexts: string[]; yes: boolean}
	| {type: 'cancel-requested'}
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
					event.contexts.map(context => [context.name, {name: context.name, server: context.server, phase: 'queued', doctor: doctorInitialState(), startedAt: undefined, finishedAt: undefined, askedAt: undefined, waitedMs: 0} satisfies ContextEntry]),
				),
			};
		case 'context-started':
			return withContext(state, event.context, entry => ({...entry, phase: 'running', startedAt: entry.startedAt ?? event.at}));
		case 'context-event':
			return withContext(state, event.context, entry => {
				const doctor = doctorReducer(entry.doctor, event.event);
				const phase: ContextPhase =
					event.event.type === 'finished' ? 'finished' : event.event.type === 'confirm-requested' ? 'asking' : event.event.type === 'confirm-answered' ? 'running' : entry.phase;
				const asked = event.event.type === 'confirm-requested';
				const answered = event.event.type === 'confirm-answered' || (event.event.type === 'finished' && entry.askedAt !== undefined);
				return {
					...entry,
					doctor,
					phase,
					finishedAt: event.event.type === 'finished' ? event.at : entry.finishedAt,
					askedAt: asked ? event.at : answered ? undefined : entry.askedAt,
					waitedMs: entry.waitedMs + (answered && entry.askedAt !== undefined ? Math.max(0, event.at - entry.askedAt) : 0),
				};
			});
		case 'context-waiting':
			return withContext(state, event.context, entry => ({...entry, phase: 'waiting', waitingFor: event.for}));
		case 'context-resumed':
			return withContext(state, event.context, ({waitingFor: _done, ...entry}) => ({...entry, phase: 'running'}));
		case 'question':
			return {...state, question: {contexts: event.contexts}};
		case 'answered':
			return {...state, question: undefined};
		case 'cancel-requested':
			return {...state, cancelling: true};
		case 'fleet-finished':
			return {...state, exitCode: event.exitCode, finishedAt: event.at};
	}
}

/** The contexts in order. */
export function entriesOf(state: FleetState): ContextEntry[] {
	return state.order.map(name => state.contexts[name]!);
}
