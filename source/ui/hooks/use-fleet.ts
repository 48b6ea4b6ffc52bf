import {useCallback, useEffect, useReducer, useRef, useState} from 'react';
import type {FleetIO, FleetResult} from '../../fleet/fleet.js';
import {fleetReducer, initialFleetState, type FleetEvent, type FleetState} from '../../fleet/machine.js';
import {ExitCode} from '../../exit-codes.js';
import type {SignalSource} from '../../signals.js';
import {useExitOnce, useQuitArm, useStop} from './use-exit.js';
import {useQuestion} from './use-question.js';
import {quitExitCode} from './use-doctor.js';

/** The fleet the UI drives: runFleet on the kubeconfig's contexts (ui/run-fleet.tsx), a script in tests. */
export type FleetFlow = (io: FleetIO) => Promise<FleetResult>;

export interface FleetControls {
	state: FleetState;
	/** The clock the running rows read (ticks while the fleet runs). */
	now: number;
	/** The user's answer to the question: dropped until the question has been on screen a moment (use-question.ts). */
	answer(yes: boolean): void;
	/** Ctrl-C: the first stops every cluster at its next safe point; a second within the window quits at once. */
	interrupt(): void;
	quitArmed: boolean;
	quit: boolean;
}

/** How often the running rows' times move on. */
const tickMs = 500;

/**
 * Runs the fleet once, folding its events into the state, and turns key commands into answers and cancels.
 * `suspended`: true while stopped by Ctrl-Z (the frame erased); a question then takes no answer until drawn again.
 */
export function useFleet({flow, onExit, suspended = false, signals}: {flow: FleetFlow; onExit(code: number): void; suspended?: boolean; signals?: SignalSource | undefined}): FleetControls {
	const [state, dispatchToReact] = useReducer(fleetReducer, undefined, initialFleetState);
	const latest = useRef<FleetState>(state);
	const controller = useRef(new AbortController());
	const started = useRef(false);
	// Only makes the running rows' times move on: each render reads the clock itself.
	const [, setTick] = useState(0);
	const [quitArmed, setQuitArmed] = useQuitArm();
	const [quit, setQuit] = useState(false);

	const {ask, answer, decline} = useQuestion(state.question, suspended);

	const dispatch = useCallback((event: FleetEvent) => {
		latest.current = fleetReducer(latest.current, event);
		dispatchToReact(event);
	}, []);

	useEffect(() => {
		if (started.current) return;
		started.current = true;
		const io: FleetIO = {
			dispatch,
			confirm: ask,
			signal: controller.current.signal,
		};
		flow(io).catch(() => {
			// runFleet turns every context's failure into its row; this is the last resort for a bug in it.
			dispatch({type: 'fleet-finished', exitCode: ExitCode.ProblemFound, at: Date.now()});
		});
	}, [dispatch, flow, ask]);

	useEffect(() => () => controller.current.abort(), []);

	const finished = state.exitCode !== undefined;
	useEffect(() => {
		if (finished) return;
		const timer = setInterval(() => setTick(count => count + 1), tickMs);
		return () => clearInterval(timer);
	}, [finished]);

	useExitOnce(quit ? quitExitCode : state.exitCode, onExit);

	const quitNow = useCallback(() => {
		if (latest.current.exitCode === undefined) setQuit(true);
	}, []);

	const interrupt = useStop({
		controller,
		ended: () => latest.current.exitCode !== undefined,
		cancelRequested: cause => dispatch({type: 'cancel-requested', by: cause}),
		decline,
		quitNow,
		setQuitArmed,
		signals,
	});

	return {state, now: finished ? (state.finishedAt ?? Date.now()) : Date.now(), answer, interrupt, quitArmed, quit};
}
