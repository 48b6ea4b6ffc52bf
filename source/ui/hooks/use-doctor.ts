import {useCallback, useEffect, useMemo, useReducer, useRef, useState} from 'react';
import {doctorReducer, initialState, withStoppedStep, type DoctorEvent, type DoctorState} from '../../doctor/machine.js';
import type {Outcome} from '../../doctor/model.js';
import {clusterStateAfterCancel} from '../../doctor/present.js';
import type {DoctorIO} from '../../doctor/runner.js';
import {ExitCode} from '../../exit-codes.js';
import type {DoctorOptions} from '../../options.js';
import type {SignalSource} from '../../signals.js';
import {useExitOnce, useQuitArm, useStop} from './use-exit.js';
import {isAsking} from '../layout.js';
import {useQuestion} from './use-question.js';

/** The doctor flow the UI drives: the runner on a cluster (ui/run.tsx), a script of events in component tests. */
export type DoctorFlow = (options: DoctorOptions, io: DoctorIO) => Promise<Outcome>;

/** The exit code of a quit by a second Ctrl-C (128 + SIGINT, as shells report it). */
export const quitExitCode = 130;

export interface DoctorControls {
	/** The doctor's state as the screen shows it. */
	state: DoctorState;
	/** The answer to the confirm prompt. Dropped when nothing is asked, or the question has not been on screen a moment yet. */
	answer(yes: boolean): void;
	/** Ctrl-C: the first cancels the running step; a second within the window quits at once. */
	interrupt(): void;
	/** True for the window after a Ctrl-C, while a second one quits. */
	quitArmed: boolean;
	/** Set when the user quit without waiting: the cluster's state at that moment, in one sentence. */
	quit: {clusterState: string} | undefined;
}

interface UseDoctorOptions {
	options: DoctorOptions;
	flow: DoctorFlow;
	/** Called once, after the frame with the outcome (or the quit) has been committed. */
	onExit(code: number): void;
	/** True while stopped by Ctrl-Z (the frame erased): a question then takes no answer until drawn again. */
	suspended?: boolean;
	/** SIGINT, SIGTERM and SIGHUP from here act as Ctrl-C does (the first named), a second one quits at once. */
	signals?: SignalSource | undefined;
}

/** Runs the doctor flow once, feeding its events to the reducer, and turns key commands into answers and cancels. */
export function useDoctor({options, flow, onExit, suspended = false, signals}: UseDoctorOptions): DoctorControls {
	const [state, dispatchToReact] = useReducer(doctorReducer, undefined, initialState);
	// Key commands read the state between renders (a Ctrl-C right after an event): keep it current here.
	const latest = useRef<DoctorState>(state);
	const controller = useRef(new AbortController());
	const started = useRef(false);
	const [quitArmed, setQuitArmed] = useQuitArm();
	const [quit, setQuit] = useState<{clusterState: string} | undefined>(undefined);

	// Each question's own state object: a question asked again (after a conflict) is armed again.
	const {ask, answer, decline} = useQuestion(isAsking(state) ? state.confirm : undefined, suspended);

	const dispatch = useCallback((event: DoctorEvent) => {
		latest.current = doctorReducer(latest.current, event);
		dispatchToReact(event);
	}, []);

	useEffect(() => {
		if (started.current) return;
		started.current = true;
		const io: DoctorIO = {
			dispatch,
			confirm: async () => {
				if (options.yes) return true;
				return ask();
			},
			signal: controller.current.signal,
		};
		flow(options, io).catch((error: unknown) => {
			// The runner turns every failure into an outcome; this is the last resort for a bug in it.
			const message = error instanceof Error ? error.message : String(error);
			dispatch({type: 'failed', failure: {step: latest.current.current ?? 'connect', kind: 'Internal', message, hint: undefined}});
			dispatch({type: 'finished', outcome: {verdict: 'failed', exitCode: ExitCode.ProblemFound, message}});
		});
	}, [dispatch, flow, options, ask]);

	// Stop the flow's watches and requests when the UI goes away.
	useEffect(() => () => controller.current.abort(), []);

	useExitOnce(quit ? quitExitCode : state.outcome?.exitCode, onExit);

	const quitNow = useCallback(() => {
		if (!latest.current.outcome) setQuit({clusterState: clusterStateAfterCancel(latest.current)});
	}, []);

	const interrupt = useStop({
		controller,
		ended: () => Boolean(latest.current.outcome),
		cancelRequested: cause => dispatch({type: 'cancel-requested', by: cause}),
		decline,
		quitNow,
		setQuitArmed,
		signals,
	});

	// A quit does not wait for the flow to finish: its step is shown stopped by the reducer's own rule.
	const shown = useMemo(() => (quit ? withStoppedStep(state) : state), [state, quit]);
	return {state: shown, answer, interrupt, quitArmed, quit};
}
