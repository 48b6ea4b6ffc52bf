// The real doctor flow driven against the in-memory cluster: a run in milliseconds, every event kept.
import {doctorReducer, initialState, type DoctorEvent, type DoctorState} from '../../source/doctor/machine.js';
import type {Outcome} from '../../source/doctor/model.js';
import {runDoctorFlow} from '../../source/doctor/runner.js';
import type {UndoEnv} from '../../source/commands/undo.js';
import type {DoctorOptions} from '../../source/options.js';
import {doctorOptions} from './doctor-fixtures.js';
import type {FakeCluster} from './fake-cluster.js';
import {ctrlC, type StopCause} from '../../source/signals.js';

export interface FlowRun {
	outcome: Outcome;
	events: DoctorEvent[];
	state: DoctorState;
	/** The notes the flow made, in order. */
	notes: string[];
	/** How often the user was asked. */
	asked: number;
}

/**
 * Runs the real flow against `cluster` without a terminal: `answer` is the user's answer to the question (yes
 * unless given), `abortWhen` aborts the signal after the first event it matches (a Ctrl-C at that point, or
 * `stopBy`'s signal).
 */
export async function runFlow(
	cluster: FakeCluster,
	options: Partial<DoctorOptions> = {},
	script: {
		answer?: boolean;
		abortWhen?: (event: DoctorEvent, state: DoctorState) => boolean;
		/** What the abort of abortWhen is: the user's Ctrl-C unless given. */
		stopBy?: StopCause;
		/** Called with every event, after the state took it in: lets a test act on the cluster at that point. */
		onEvent?: (event: DoctorEvent, state: DoctorState) => void;
	} = {},
): Promise<FlowRun> {
	const controller = new AbortController();
	const events: DoctorEvent[] = [];
	let state = initialState();
	let asked = 0;
	const outcome = await runDoctorFlow(
		doctorOptions({interactive: false, timeoutMs: 2000, ...options}),
		{
			dispatch(event) {
				events.push(event);
				state = doctorReducer(state, event);
				script.onEvent?.(event, state);
				if (script.abortWhen?.(event, state)) controller.abort(script.stopBy ?? ctrlC);
			},
			confirm: async () => {
				asked++;
				return script.answer ?? true;
			},
			signal: controller.signal,
		},
		cluster.env(),
	);
	const notes = events.flatMap(event => ('note' in event && typeof event.note === 'string' ? [event.note] : []));
	return {outcome, events, state, notes, asked};
}

/** What undo talks to in a flow test: the fake cluster, its output kept in `out`, every question answered yes. */
export function undoEnv(cluster: FakeCluster): UndoEnv & {out: string} {
	const env = {
		out: '',
		connect: () => ({client: cluster}),
		write(text: string) {
			env.out += text;
		},
		ask: async () => 'y',
	};
	return env;
}
