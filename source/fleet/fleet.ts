// The fleet: the doctor's flow as N independent instances, one per context, each with its own client (its own
// connection options), its own event stream and its own facts, scheduled with a bound (--parallel). Their events
// are folded into one stream of fleet events; renderers (the Ink table, the plain printer, the report) only draw.
// A context that fails ends as a row with its reason and exit code, never the run. Consent is the fleet's: one
// question for every cluster with a change (or one per cluster with --confirm-each); nothing changes without it.
import {ExitCode} from '../exit-codes.js';
import type {DoctorEvent} from '../doctor/machine.js';
import type {ChangedThrough, Found, Outcome, Plan} from '../doctor/model.js';
import {runDoctorFlow, type FlowEnv} from '../doctor/runner.js';
import type {KubeconfigContext} from '../kube/config.js';
import type {DoctorOptions, FleetOptions} from '../options.js';
import {say} from '../doctor/present.js';
import {foldExitCodes} from './exit-code.js';
import type {FleetEvent} from './machine.js';

export interface FleetIO {
	dispatch(event: FleetEvent): void;
	/**
	 * Asks the user once about the changes of `contexts` (their plans are in the state the events built): yes or
	 * no for all of them. Undefined without a terminal: each cluster's answer is --yes.
	 */
	confirm?: (contexts: string[]) => Promise<boolean>;
	/** Aborted on Ctrl-C: every context stops at its next safe point; those not started yet do not start. */
	signal: AbortSignal;
	/** The clock (tests pass their own). */
	now?: () => number;
}

export interface FleetResult {
	exitCode: number;
	outcomes: Record<string, Outcome>;
}

/** A counting semaphore: at most `size` holders at once, the others wait in order. */
export function slots(size: number): {acquire(): Promise<void>; release(): void; readonly free: number} {
	let free = size;
	const waiting: Array<() => void> = [];
	return {
		acquire() {
			if (free > 0) {
				free--;
				return Promise.resolve();
			}
			return new Promise<void>(resolve => waiting.push(resolve));
		},
		release() {
			const next = waiting.shift();
			if (next) next();
			else free++;
		},
		get free() {
			return free;
		},
	};
}

/** The options of one context's instance: the fleet's, for that context alone. */
export function contextOptions(options: DoctorOptions, context: string): DoctorOptions {
	const {fleet: _fleet, ...single} = options;
	return {...single, connection: {...single.connection, context}, interactive: options.interactive};
}

/**
 * Runs the doctor on every context, at most fleet.parallel at once. A context waiting for the user's answer gives
 * its slot back, so that the others can reach their own question; with one question for all, it is asked once
 * every context has either finished or is waiting for it. Resolves with the fleet's exit code: the most serious.
 */
export async function runFleet(options: DoctorOptions & {fleet: FleetOptions}, contexts: readonly KubeconfigContext[], io: FleetIO, env: FlowEnv): Promise<FleetResult> {
	const now = io.now ?? Date.now;
	const {parallel, confirmEach} = options.fleet;
	io.dispatch({type: 'fleet-started', contexts: contexts.map(context => ({name: context.name, server: context.server})), at: now()});
	const bound = slots(Math.max(1, parallel));
	const outcomes: Record<string, Outcome> = {};
	const unfinished = new Set(contexts.map(context => context.name));
	/** Contexts whose flow waits for an answer, with how to give it. */
	const waiting = new Map<string, (yes: boolean) => void>();
	let asking = false;
	const turns = multusTurns(contexts.map(context => context.name));
	/** Contexts waiting for their turn to change a Multus another context is changing: they do not hold up the question. */
	const waitingTurn = new Set<string>();

	const ask = (names: string[]) => {
		asking = true;
		const resolvers = names.map(name => waiting.get(name)!);
		for (const name of names) waiting.delete(name);
		io.dispatch({type: 'question', contexts: names});
		void io.confirm!(names)
			.catch(() => false)
			.then(answer => {
				const yes = answer && !io.signal.aborted;
				io.dispatch({type: 'answered', contexts: names, yes});
				asking = false;
				for (const resolve of resolvers) resolve(yes);
				maybeAsk();
			});
	};
	/** Asks when it is time: at once for one cluster (--confirm-each), else when every unfinished one waits. */
	const maybeAsk = () => {
		if (asking || waiting.size === 0 || !io.confirm) return;
		if (io.signal.aborted) {
			for (const [name, resolve] of [...waiting]) {
				waiting.delete(name);
				resolve(false);
			}
			return;
		}
		if (confirmEach) ask([waiting.keys().next().value!]);
		else if ([...unfinished].every(name => waiting.has(name) || waitingTurn.has(name))) ask([...waiting.keys()]);
	};
	io.signal.addEventListener('abort', () => maybeAsk(), {once: true});

	const runOne = async (context: KubeconfigContext): Promise<void> => {
		const name = context.name;
		await bound.acquire();
		io.dispatch({type: 'context-started', context: name, at: now()});
		const dispatch = (event: DoctorEvent) => {
			if (event.type === 'found') turns.found(name, event.found.daemonSet.uid);
			if (event.type === 'step-started' && (event.step === 'patch' || event.step === 'restart')) turns.wrote(name);
			// A dedicated role is a write of its own: created before its binding, it stays if the binding is refused.
			if (event.type === 'role-created') turns.left(name, {role: event.created.role, rulesAfter: event.created.rules});
			if (event.type === 'patched' && !event.patch.dryRun) turns.left(name, {role: event.patch.role, rulesAfter: event.patch.rulesAfter});
			if (event.type === 'restarted' && !event.restart.dryRun) turns.left(name, {restartedAt: event.restart.restartedAt});
			io.dispatch({type: 'context-event', context: name, event, at: now()});
		};
		let outcome: Outcome;
		try {
			outcome = await runDoctorFlow(
				contextOptions(options, name),
				{
					dispatch,
					confirm: async (_plan: Plan) => {
						if (!io.confirm) return options.yes;
						if (options.yes) return true;
						bound.release();
						const yes = await new Promise<boolean>(resolve => {
							waiting.set(name, resolve);
							maybeAsk();
						});
						// Its answer is in: from here it waits for a slot, not for the user.
						io.dispatch({type: 'context-queued', context: name, at: now()});
						await bound.acquire();
						io.dispatch({type: 'context-started', context: name, at: now()});
						return yes;
					},
					changeTurn: async (found: Found) => {
						const uid = found.daemonSet.uid;
						if (uid === undefined) return undefined;
						if (!turns.mustWait(name, uid)) return turns.turn(name, uid);
						// Contexts before this one may reach the same Multus: this one waits for them, its slot given back.
						// The row names every one it still waits for, as they find their Multus or end.
						const ahead = turns.waitingFor(name, uid)!;
						dispatch({type: 'note', note: say.waitingForTurn(ahead)});
						io.dispatch({type: 'context-waiting', context: name, for: turns.inOrder(ahead), at: now()});
						bound.release();
						waitingTurn.add(name);
						maybeAsk();
						const changed = await turns.turn(name, uid, still => io.dispatch({type: 'context-waiting', context: name, for: turns.inOrder(still), at: now()}));
						waitingTurn.delete(name);
						io.dispatch({type: 'context-queued', context: name, at: now()});
						await bound.acquire();
						io.dispatch({type: 'context-started', context: name, at: now()});
						return changed;
					},
					signal: io.signal,
				},
				env,
			);
		} catch (error) {
			// The runner turns every failure into an outcome; this is the last resort for a bug in it.
			const message = error instanceof Error ? error.message : String(error);
			outcome = {verdict: 'failed', exitCode: ExitCode.ProblemFound, message};
			dispatch({type: 'failed', failure: {step: 'connect', kind: 'Internal', message, hint: undefined}});
			dispatch({type: 'finished', outcome});
		} finally {
			bound.release();
		}
		outcomes[name] = outcome;
		turns.ended(name, outcome);
		unfinished.delete(name);
		maybeAsk();
	};

	await Promise.all(contexts.map(runOne));
	const exitCode = foldExitCodes(contexts.map(context => outcomes[context.name]!.exitCode));
	io.dispatch({type: 'fleet-finished', exitCode, at: now()});
	return {exitCode, outcomes};
}

/** The contexts before one that it waits for: known to reach the same Multus, and not known yet (not found). */
export interface Ahead {
	same: string[];
	unknown: string[];
}

/**
 * Whose turn it is to change each Multus (known by its DaemonSet's uid) when several contexts of a fleet reach the
 * same one (another URL, another user, another name for one cluster): in the kubeconfig's order, one at a time, so
 * that the same run always ends the same way. A context plans once every context before it has either found
 * another Multus, or ended. It then takes the outcome of the first one before it that wrote, or was told no (or
 * cancelled), as its own, or plans and changes on its own when those before it that reach this Multus wrote nothing
 * for any other reason (healthy, managed elsewhere, their own credentials, permissions or connection).
 */
export function multusTurns(order: readonly string[]) {
	/** Each context's Multus once found: its uid, or null when the server gave none (never shared). */
	const uidOf = new Map<string, string | null>();
	const ended = new Map<string, Outcome>();
	const wrote = new Set<string>();
	const writes = new Map<string, ChangedThrough['wrote']>();
	const pending: Array<{name: string; uid: string; resolve: (changed: ChangedThrough | undefined) => void; onAhead?: (ahead: Ahead) => void; ahead?: string}> = [];

	/** Undefined while a context before `name` may still reach the same Multus; else what `name` does. */
	const decide = (name: string, uid: string): {changed: ChangedThrough | undefined} | undefined => {
		let changed: ChangedThrough | undefined;
		for (const earlier of order) {
			if (earlier === name) break;
			const theirs = uidOf.get(earlier);
			const outcome = ended.get(earlier);
			if (outcome === undefined) {
				if (theirs === undefined || theirs === uid) return undefined;
				continue;
			}
			if (theirs !== uid) continue;
			// Without a write, only the user's word (no, or Ctrl-C) holds for the cluster; anything else this context
			// judges for itself: a verdict the other reached without writing (healthy, managed, its own failure)
			// may be another cluster's under the same uid.
			const own = !wrote.has(earlier) && outcome.verdict !== 'declined' && outcome.verdict !== 'cancelled';
			if (!own) changed ??= {through: earlier, outcome, wrote: writes.get(earlier) ?? {}};
		}
		return {changed};
	};
	/** Those of `ahead`, in the kubeconfig's order. */
	const inOrder = (ahead: Ahead): string[] => order.filter(context => ahead.same.includes(context) || ahead.unknown.includes(context));
	/** The contexts before `name` it waits for: those not ended that reach `uid`, and those that have not found their Multus. */
	const aheadOf = (name: string, uid: string): Ahead => {
		const before = order.slice(0, order.indexOf(name)).filter(earlier => !ended.has(earlier));
		return {same: before.filter(earlier => uidOf.get(earlier) === uid), unknown: before.filter(earlier => !uidOf.has(earlier))};
	};
	const settle = () => {
		for (const waiter of [...pending]) {
			const decided = decide(waiter.name, waiter.uid);
			if (!decided) {
				const ahead = aheadOf(waiter.name, waiter.uid);
				const key = inOrder(ahead).join();
				if (key !== waiter.ahead) {
					waiter.ahead = key;
					waiter.onAhead?.(ahead);
				}
				continue;
			}
			pending.splice(pending.indexOf(waiter), 1);
			waiter.resolve(decided.changed);
		}
	};
	return {
		/** `name` found its Multus. */
		found(name: string, uid: string | undefined) {
			uidOf.set(name, uid ?? null);
			settle();
		},
		/** `name` started a write (patch or restart): its outcome is about the cluster, whatever it is. */
		wrote(name: string) {
			wrote.add(name);
		},
		/** What `name`'s write left: the rules of the role it patched or created, the restart it stamped. */
		left(name: string, what: ChangedThrough['wrote']) {
			writes.set(name, {...writes.get(name), ...what});
		},
		/** `name` ended. */
		ended(name: string, outcome: Outcome) {
			ended.set(name, outcome);
			settle();
		},
		/** Whether `name` must wait before it plans (a context before it is not settled yet). */
		mustWait(name: string, uid: string): boolean {
			return decide(name, uid) === undefined;
		},
		/**
		 * Resolves when `name` may go on: with the outcome it takes as its own, or undefined for its own turn. Until
		 * then `onAhead` hears of each change in whom it waits for (one found another Multus, or ended).
		 */
		turn(name: string, uid: string, onAhead?: (ahead: Ahead) => void): Promise<ChangedThrough | undefined> {
			const decided = decide(name, uid);
			if (decided) return Promise.resolve(decided.changed);
			return new Promise(resolve => pending.push({name, uid, resolve, ...(onAhead ? {onAhead, ahead: inOrder(aheadOf(name, uid)).join()} : {})}));
		},
		/** Every context before `name` that it waits for, known to reach the same Multus or not yet known: to say so. */
		waitingFor(name: string, uid: string): Ahead | undefined {
			const ahead = aheadOf(name, uid);
			return ahead.same.length + ahead.unknown.length === 0 ? undefined : ahead;
		},
		inOrder,
	};
}
