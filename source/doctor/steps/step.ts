import type {V1DaemonSet} from '@kubernetes/client-node';
import {MultusError} from '../../errors.js';
import type {KubeApi} from '../../kube/client.js';
import type {ConnectionInfo} from '../../kube/config.js';
import type {ConnectionOptions, DoctorOptions} from '../../options.js';
import type {InDoubtOptions} from '../in-doubt.js';
import type {DoctorEvent} from '../machine.js';
import type {ChangedThrough, Connection, CreatedRole, Diagnosis, Found, Outcome, PatchResult, Plan, RestartResult, RolloutView, StepId, Verification} from '../model.js';

/** Where the flow's cluster comes from: client-node for the command (connectKube), an in-memory cluster in tests. */
export interface FlowEnv {
	/** The client for the connection flags; throws a MultusError (Config, Usage) the Connect step reports. */
	connect(connection: ConnectionOptions): {client: KubeApi; info: ConnectionInfo};
	/** Pauses between read-backs of a write that got no answer (the last one repeats); tests pass zeros. */
	readBackDelaysMs?: number[];
}

/**
 * What the flow learned so far, kept by the flow itself: each step reads its predecessors' results here (and
 * never a renderer's state), and a stop says from it where the cluster was left.
 */
export interface FlowFacts {
	client?: KubeApi;
	connection?: Connection;
	found?: Found;
	diagnosis?: Diagnosis;
	/** The last plan (a conflict makes a new one). */
	plan?: Plan;
	/** Which plan this is: 1, then one more after each conflict. */
	attempt: number;
	/** A dedicated ClusterRole created, set before its binding is created: what a refused binding leaves. */
	createdRole?: CreatedRole;
	/** Set only when a patch was written (not when the role already granted the rules). */
	patch?: PatchResult;
	/** When the patch was written (the doctor's clock): a running daemon's proof counts from here. */
	patchedAt?: number;
	restart?: RestartResult;
	/** The nodes with a Multus pod just before the restart (small clusters): one without a pod after it lost it. */
	nodesBeforeRestart?: string[];
	/** The DaemonSet as last seen after the restart: its answer, then the rollout's end. */
	restarted?: V1DaemonSet;
	rollout?: RolloutView;
	verification?: Verification;
}

/** Everything a step works with: the options, the cluster, the facts so far, and the event stream out. */
export interface StepContext {
	readonly options: DoctorOptions;
	readonly env: FlowEnv;
	readonly signal: AbortSignal;
	readonly facts: FlowFacts;
	/** Tells every observer (the Ink view, the plain printer, the report). */
	emit(event: DoctorEvent): void;
	/** Asks the user to apply the plan (the plain path answers from --yes). */
	confirm(plan: Plan): Promise<boolean>;
	/** Waits for this run's turn to change its Multus (DoctorIO.changeTurn); undefined: its turn now. */
	changeTurn(found: Found): Promise<ChangedThrough | undefined>;
	/** For writes that may get no answer: read back until the server answers, at most --timeout. */
	readonly inDoubt: InDoubtOptions;
}

/**
 * How a step ended. done: on to the next step. skipped: it found, once started, that it does not apply (the
 * note says why). outcome: the run's outcome is known. fail: the step refuses to go on (a permission is
 * missing): the run fails with that error. After an outcome or a refusal every later step is skipped, the one
 * rule for "skip the rest". again: back to an earlier step (a conflict re-plans).
 */
export type StepEnd =
	| {type: 'done'}
	| {type: 'skipped'; note: string; code?: string}
	| {type: 'outcome'; outcome: Outcome}
	| {type: 'fail'; error: MultusError}
	| {type: 'again'; step: StepId; note: string; code?: string};

/** Why a step is skipped: a note, and the code of the finding it is, if it is one. */
export type Skip = string | {note: string; code: string};

/** One step of the doctor: one file under steps/, one job. */
export interface Step {
	id: StepId;
	/**
	 * Decided before the step starts: undefined when it runs, otherwise why it is skipped (a note to show, or ''
	 * for a step that follows from an earlier one: no restart, no rollout).
	 */
	skip?(context: StepContext): Skip | undefined;
	run(context: StepContext): Promise<StepEnd>;
}

export const done: StepEnd = {type: 'done'};

/** The run's outcome is known: this verdict, exit code and sentence, and the code of the finding it is, if any. */
export function outcome(verdict: Outcome['verdict'], exitCode: number, message: string, code?: string): StepEnd {
	return {type: 'outcome', outcome: {verdict, exitCode, message, ...(code ? {code} : {})}};
}

/** How many times a plan is made and applied when the role keeps changing under it (a conflict each time). */
export const maxConflictAttempts = 3;

/** Thrown where a step stops for a Ctrl-C; the runner says where the cluster was left. */
export class Cancelled extends Error {}

/** A fact an earlier step must have set: a missing one is a bug in the step order, not the user's problem. */
export function need<T>(value: T | undefined, what: string): T {
	if (value === undefined) throw new MultusError('Internal', `the doctor's steps ran out of order: no ${what} yet`);
	return value;
}

/** The connected client (set by the Connect step). */
export function clientOf(context: StepContext): KubeApi {
	return need(context.facts.client, 'connection');
}
