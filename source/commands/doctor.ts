import {stringify} from 'yaml';
import type {DoctorOptions, EmitFormat} from '../options.js';
import {stateKeeper, type DoctorEvent, type DoctorState} from '../doctor/machine.js';
import type {Outcome} from '../doctor/model.js';
import {plainPrinter} from '../doctor/plain.js';
import {keptByPlanWords, say} from '../doctor/present.js';
import {doctorReport} from '../doctor/report.js';
import {rulesPatchJson} from '../doctor/record.js';
import {ExitCode} from '../exit-codes.js';
import {runDoctorFlow} from '../doctor/runner.js';
import {connectKube} from '../kube/client.js';
import {describeRule} from '../multus/rbac.js';
import {terminalSafe} from '../ansi.js';
import {shellQuote} from '../shell.js';
import {cancelOnSignals} from '../signals.js';
import {cancellingNote} from '../doctor/present.js';

/**
 * The doctor without a terminal: the flow's events go to every observer (the plain printer when the output is
 * text, and the state kept for the report); changes happen only with --yes.
 */
async function runWithoutTerminal(options: DoctorOptions, signal: AbortSignal, observers: Array<(event: DoctorEvent) => void>) {
	const kept = stateKeeper();
	const all = [kept.observe, ...observers];
	const outcome: Outcome = await runDoctorFlow(
		options,
		{dispatch: event => all.forEach(observe => observe(event)), confirm: async () => options.yes, signal},
		{connect: connectKube},
	);
	return {outcome, state: kept.state};
}

/** `kubectl multus doctor`: the Ink UI in a terminal, otherwise the plain printer or a JSON/YAML report. */
export async function runDoctor(options: DoctorOptions): Promise<number> {
	if (options.fleet) {
		const {runFleetDoctor} = await import('../fleet/run.js');
		return runFleetDoctor({...options, fleet: options.fleet});
	}
	if (options.interactive) {
		const {runInteractiveDoctor} = await import('../ui/run.js');
		return runInteractiveDoctor(options);
	}
	const controller = new AbortController();
	const stopListening = cancelOnSignals(controller, cause => process.stderr.write(`\n${cancellingNote(cause)}\n`));
	try {
		if (options.emit) return await runEmit(options, controller.signal);
		const printer = options.output === 'text' ? [plainPrinter(options, text => process.stdout.write(text))] : [];
		const {outcome, state} = await runWithoutTerminal(options, controller.signal, printer);
		if (options.output !== 'text') {
			const report = doctorReport(state);
			process.stdout.write(options.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : stringify(report));
			if (outcome.exitCode !== 0 && state.failure) process.stderr.write(terminalSafe(`error: ${state.failure.message}${state.failure.hint ? `\n  fix: ${state.failure.hint}` : ''}`) + '\n');
		}
		return outcome.exitCode;
	} finally {
		stopListening();
	}
}

/**
 * `doctor --emit patch|manifest`: diagnose and plan as --check does, then print the fix as a file on stdout (and how
 * to use it on stderr). Changes nothing. Exit 1 when there is a fix to take, otherwise the check's own code.
 */
async function runEmit(options: DoctorOptions, signal: AbortSignal): Promise<number> {
	const {outcome, state} = await runWithoutTerminal({...options, check: true, output: 'json'}, signal, []);
	const result = emitResult(options.emit ?? 'manifest', outcome, state);
	if (result.file !== undefined) process.stdout.write(result.file);
	process.stderr.write(terminalSafe(result.note) + '\n');
	return result.exitCode;
}

/**
 * What --emit makes of a checked run: the file (undefined when there is none to take: healthy, failed, or a
 * dedicated role asked for as a patch), the note on how to use it, and the exit code. The fleet writes the same
 * file per context.
 */
export function emitResult(format: EmitFormat, outcome: Outcome, state: DoctorState): {file: string | undefined; note: string; exitCode: number} {
	const plan = state.plan;
	if (!plan || plan.patch.empty || outcome.verdict === 'failed' || outcome.verdict === 'cancelled') {
		return {file: undefined, note: `${outcome.message}${state.failure?.hint ? `\n  fix: ${state.failure.hint}` : ''}`, exitCode: outcome.exitCode};
	}
	if (plan.reachUnseen) {
		// Without the RoleBindings no file is safe to hand on: the role it patches may reach others.
		const unseen = say.reachUnseen(plan);
		return {file: undefined, note: `No file: ${unseen.message}. Nothing was changed.\n  fix: ${unseen.hint}`, exitCode: ExitCode.Forbidden};
	}
	if (plan.dedicated && format === 'patch') {
		// No role is patched: the rules go to a new ClusterRole and binding, which only a manifest can carry.
		return {
			file: undefined,
			note: `ClusterRole ${plan.dedicated.sharedRole} is bound to others too (${plan.dedicated.othersBound.join(', ')}): the fix is ${plan.dedicated.existing.role ? `the ClusterRoleBinding of ClusterRole ${plan.role} (${keptByPlanWords(plan)})` : `a new ClusterRole ${plan.role} and ClusterRoleBinding`} for the Multus identity alone, not a patch. Nothing was changed.\n  fix: kubectl multus doctor --emit manifest prints both`,
			exitCode: ExitCode.ProblemFound,
		};
	}
	const use = format === 'patch'
		? `kubectl patch clusterrole ${shellQuote(plan.role)} --type=json --patch-file FILE`
		: plan.dedicated
			? keptByPlanWords(plan)
				? `kubectl apply -f FILE (${keptByPlanWords(plan)}: kubectl create -f would refuse it as existing)`
				: 'kubectl create -f FILE (a new ClusterRole and ClusterRoleBinding)'
			: 'kubectl apply -f FILE (or kubectl auth reconcile -f FILE)';
	const added = plan.patch.missing.map(describeRule).join('; ');
	const what = !plan.dedicated ? '' : plan.dedicated.existing.role ? ' (there from an earlier run, without its ClusterRoleBinding to the Multus identity alone)' : ' (new, with its ClusterRoleBinding to the Multus identity alone)';
	return {
		file: format === 'patch' ? rulesPatchJson(plan.patch.jsonPatch) : plan.manifestYaml,
		note:
			`ClusterRole ${plan.role}${what}: adds ${added}. Nothing was changed; apply with ${use}` +
			(plan.aggregate ? `\n  ${plan.aggregate.role} is aggregated: this is its source ${plan.aggregate.source} (${plan.aggregate.why})` : '') +
			(plan.owner ? `\n  managed by ${plan.owner.name}: commit it where that tool takes it from (${plan.owner.fix})` : ''),
		exitCode: ExitCode.ProblemFound,
	};
}
