import {MultusError} from '../../errors.js';
import {ExitCode} from '../../exit-codes.js';
import {finding} from '../../multus/findings.js';
import type {DoctorOptions} from '../../options.js';
import type {Plan} from '../model.js';
import {say} from '../present.js';
import {Cancelled, need, outcome, type Step, type StepEnd} from './step.js';

/** Confirm: whether the plan may be applied here at all (the gate), then the user's yes or no. */
export const confirmStep: Step = {
	id: 'confirm',
	skip: ({facts}) => (facts.plan?.patch.empty ? '' : undefined),
	async run(context) {
		const {options, signal, emit} = context;
		const plan = need(context.facts.plan, 'plan');
		const stop = gate(plan, options);
		if (stop) return stop;
		emit({type: 'confirm-requested'});
		const yes = await context.confirm(plan);
		emit({type: 'confirm-answered', yes});
		if (signal.aborted) throw new Cancelled();
		if (!yes) return outcome('declined', ExitCode.ProblemFound, say.declined(options.interactive));
		return {type: 'done'};
	},
};

/**
 * Decides, before asking, whether the plan may be applied here; in this order: --check, a role that opted out
 * of updates, a role managed elsewhere (unless --force), a permission the caller lacks (not needed for
 * --dry-run=client), a dry run. Returns how the run ends, or undefined to ask.
 */
export function gate(plan: Plan, options: DoctorOptions): StepEnd | undefined {
	if (options.check) return outcome('problem', ExitCode.ProblemFound, say.checkFix(plan));
	if (plan.blocked === 'autoupdate') return outcome('managed', ExitCode.ProblemFound, say.optedOut(plan.role), finding.roleOptedOut.code);
	if (plan.blocked === 'managed' && !options.force) return outcome('managed', ExitCode.ProblemFound, say.managed(plan), finding.roleManaged.code);
	const missing = plan.permissions.filter(permission => !permission.allowed && !permission.optional);
	if (missing.length > 0 && options.dryRun !== 'client') {
		const words = say.lackPermission(missing);
		return {type: 'fail', error: new MultusError('Forbidden', words.message, {hint: words.hint, finding: finding.callerLacksPermission.code})};
	}
	if (options.dryRun !== 'none') return outcome('dry-run', ExitCode.ProblemFound, say.dryRun(plan, options.dryRun));
	return undefined;
}
