import {MultusError} from '../errors.js';
import {ExitCode} from '../exit-codes.js';
import type {DoctorOptions} from '../options.js';
import {StillInDoubt} from './in-doubt.js';
import type {DoctorEvent} from './machine.js';
import {stepIds, unansweredWrite, type ChangedThrough, type Found, type Outcome, type Plan, type StepId} from './model.js';
import {finding} from '../multus/findings.js';
import {clusterStateAfterCancel, say, writeInDoubt} from './present.js';
import {confirmStep} from './steps/confirm.js';
import {connectStep} from './steps/connect.js';
import {detectStep} from './steps/detect.js';
import {findStep} from './steps/find.js';
import {patchStep} from './steps/patch.js';
import {planStep} from './steps/plan.js';
import {restartStep} from './steps/restart.js';
import {rolloutStep} from './steps/rollout.js';
import {Cancelled, type FlowEnv, type FlowFacts, type Step, type StepContext} from './steps/step.js';
import {verifyStep} from './steps/verify.js';

export type {FlowEnv} from './steps/step.js';

/** What the flow needs from whoever drives it (the Ink app, the plain printer, or JSON output). */
export interface DoctorIO {
	/** Every change, as an event; the flow never reads anything back. */
	dispatch(event: DoctorEvent): void;
	/** Ask the user to apply the plan. The plain path answers from --yes. */
	confirm(plan: Plan): Promise<boolean>;
	/** Aborted on Ctrl-C: the running step stops at its next safe point. */
	signal: AbortSignal;
	/**
	 * A fleet's: called before a plan that may be applied (not --check, not a dry run), it waits while another run
	 * of the fleet changes the same Multus (the same DaemonSet), and resolves with that run's outcome when it did:
	 * this run's change was made there, once. Undefined: this run plans and applies its own.
	 */
	changeTurn?: (found: Found) => Promise<ChangedThrough | undefined>;
}

/** The steps, in the order they run (stepIds). */
export const steps: Step[] = [connectStep, findStep, detectStep, planStep, confirmStep, patchStep, restartStep, rolloutStep, verifyStep];

/** Runs the doctor from Connect to Verify, dispatching an event at every change; returns the outcome. */
export async function runDoctorFlow(options: DoctorOptions, io: DoctorIO, env: FlowEnv): Promise<Outcome> {
	const {dispatch, signal} = io;
	const facts: FlowFacts = {attempt: 1};
	const context: StepContext = {
		options,
		env,
		signal,
		facts,
		emit: dispatch,
		confirm: plan => io.confirm(plan),
		changeTurn: found => io.changeTurn?.(found) ?? Promise.resolve(undefined),
		// A write that gets no answer is read back (until the server answers, at most --timeout) before anything
		// is said about it: landed, or sent again.
		inDoubt: {budgetMs: options.timeoutMs, signal, onNote: note => dispatch({type: 'note', note}), ...(env.readBackDelaysMs ? {delaysMs: env.readBackDelaysMs} : {})},
	};
	const finish = (outcome: Outcome): Outcome => {
		dispatch({type: 'finished', outcome});
		return outcome;
	};
	const skipFrom = (index: number) => {
		for (const later of steps.slice(index)) dispatch({type: 'step-skipped', step: later.id});
	};

	let step: StepId = 'connect';
	try {
		for (let index = 0; index < steps.length; ) {
			const current = steps[index]!;
			const skip = current.skip?.(context);
			if (skip !== undefined) {
				dispatch({type: 'step-skipped', step: current.id, ...(typeof skip === 'string' ? (skip ? {note: skip} : {}) : skip)});
				index++;
				continue;
			}
			if (signal.aborted) throw new Cancelled();
			step = current.id;
			dispatch({type: 'step-started', step: current.id});
			const end = await current.run(context);
			switch (end.type) {
				case 'done':
					index++;
					break;
				case 'skipped':
					dispatch({type: 'step-skipped', step: current.id, note: end.note, ...(end.code ? {code: end.code} : {})});
					index++;
					break;
				case 'again':
					dispatch({type: 'conflict', note: end.note, ...(end.code ? {code: end.code} : {})});
					index = stepIds.indexOf(end.step);
					break;
				case 'outcome':
					skipFrom(index + 1);
					return finish(end.outcome);
				case 'fail':
					skipFrom(index + 1);
					throw end.error;
			}
		}
		throw new MultusError('Internal', 'the doctor ran out of steps without an outcome');
	} catch (error) {
		if (error instanceof Cancelled || (signal.aborted && !(error instanceof MultusError && error.kind !== 'Cancelled'))) {
			// Stopped while a write that got no answer was being read back: it is still in doubt.
			const inDoubt = error instanceof StillInDoubt;
			const state = inDoubt ? writeInDoubt(facts, step) : clusterStateAfterCancel(facts);
			const code = inDoubt ? {code: finding.writeInDoubt.code} : {};
			dispatch({type: 'note', note: state, ...code});
			return finish({verdict: 'cancelled', exitCode: ExitCode.ProblemFound, message: say.cancelled(step, state), ...code});
		}
		const failure = error instanceof MultusError ? error : new MultusError('Internal', error instanceof Error ? error.message : String(error));
		// A write that got no answer may have been applied all the same: say so, never "nothing was changed".
		const unanswered = unansweredWrite({step, kind: failure.kind});
		const code = failure.finding ?? (unanswered ? finding.writeInDoubt.code : undefined);
		dispatch({type: 'failed', failure: {step, kind: failure.kind, message: failure.message, hint: failure.hint, ...(code ? {code} : {})}});
		const note = unanswered ? writeInDoubt(facts, step) : clusterStateAfterCancel(facts);
		return finish({verdict: 'failed', exitCode: failure.exitCode, message: say.failed(failure.message, note), ...(code ? {code} : {})});
	}
}
