// The real fleet driven against in-memory clusters, one per context: every fleet event kept, the state they add up
// to, and how often (and about which contexts) the user was asked.
import type {FlowEnv} from '../../source/doctor/runner.js';
import {MultusError} from '../../source/errors.js';
import {runFleet, type FleetResult} from '../../source/fleet/fleet.js';
import {fleetReducer, initialFleetState, type FleetEvent, type FleetState} from '../../source/fleet/machine.js';
import type {KubeconfigContext} from '../../source/kube/config.js';
import type {DoctorOptions, FleetOptions} from '../../source/options.js';
import {doctorOptions} from './doctor-fixtures.js';
import {FakeCluster} from './fake-cluster.js';
import {ctrlC, type StopCause} from '../../source/signals.js';

/** A context's cluster: an in-memory one, or a failure of the kubeconfig itself for that context (thrown at connect). */
export type FleetMember = FakeCluster | MultusError | Error;

/** Connects each context to its own in-memory cluster, as connectKube does to each context's server. */
export function fleetEnv(members: Record<string, FleetMember>): FlowEnv {
	return {
		connect(connection) {
			const name = connection.context ?? '';
			const member = members[name];
			if (member === undefined) throw new Error(`test: no member for context ${name}`);
			if (!(member instanceof FakeCluster)) throw member;
			return member.env({context: name, cluster: name, server: `https://${name}.invalid`}).connect(connection);
		},
		readBackDelaysMs: [0],
	};
}

/** A cluster no request reaches: its first request fails as an unreachable server does. */
export function unreachable(name: string): FakeCluster {
	return new FakeCluster().fault('serverVersion', {error: new MultusError('Unreachable', `cannot reach the API server at https://${name}.invalid: connect ECONNREFUSED`, {hint: 'check the server address'})}, {times: 100});
}

export interface FleetRun extends FleetResult {
	events: FleetEvent[];
	state: FleetState;
	/** The contexts of each question, in the order asked. */
	questions: string[][];
	/** The most contexts that were running their flow at once (not queued, not waiting for an answer). */
	mostAtOnce: number;
}

export async function runFleetOn(
	members: Record<string, FleetMember>,
	options: Partial<Omit<DoctorOptions, 'fleet'>> & {fleet?: Partial<FleetOptions>} = {},
	script: {answer?: boolean | ((contexts: string[]) => boolean); interactive?: boolean; ctrlCAtQuestion?: boolean; abortWhen?: (event: FleetEvent, state: FleetState) => boolean; stopBy?: StopCause} = {},
): Promise<FleetRun> {
	const controller = new AbortController();
	const events: FleetEvent[] = [];
	const questions: string[][] = [];
	let state = initialFleetState();
	let mostAtOnce = 0;
	const contexts: KubeconfigContext[] = Object.keys(members).map(name => ({name, cluster: name, server: `https://${name}.invalid`, user: 'admin'}));
	const {fleet, ...rest} = options;
	const fleetOptions: FleetOptions = {selection: {all: true}, parallel: 20, confirmEach: false, emitDir: undefined, ...fleet};
	const result = await runFleet(
		{...doctorOptions({interactive: false, timeoutMs: 2000, ...rest}), fleet: fleetOptions},
		contexts,
		{
			dispatch(event) {
				events.push(event);
				state = fleetReducer(state, event);
				mostAtOnce = Math.max(mostAtOnce, Object.values(state.contexts).filter(entry => entry.phase === 'running').length);
				if (script.abortWhen?.(event, state)) controller.abort(script.stopBy ?? ctrlC);
			},
			...(script.interactive
				? {
						confirm: async (names: string[]) => {
							questions.push(names);
							if (script.ctrlCAtQuestion) controller.abort(ctrlC);
							return typeof script.answer === 'function' ? script.answer(names) : (script.answer ?? true);
						},
					}
				: {}),
			signal: controller.signal,
		},
		fleetEnv(members),
	);
	return {...result, events, state, questions, mostAtOnce};
}
