import {ExitCode} from '../../exit-codes.js';
import {rulesCover} from '../../multus/rbac.js';
import {requiredRules, type Requirement} from '../../multus/requirements.js';
import {declareChecks, probeFor, runChecks} from '../checks.js';
import {podsAccess} from '../evidence.js';
import type {CheckResult, Diagnosis, Found} from '../model.js';
import {say, type InformerDenial} from '../present.js';
import {clientOf, done, need, outcome, type Step, type StepContext} from './step.js';

/** Detect: every declared check (logs, access reviews, rules); healthy ends the run here. */
export const detectStep: Step = {
	id: 'detect',
	async run(context) {
		const diagnosis = await detect(context);
		context.facts.diagnosis = diagnosis;
		context.emit({type: 'diagnosed', diagnosis});
		if (diagnosis.verdict === 'healthy') return outcome('healthy', ExitCode.Ok, diagnosis.summary);
		return done;
	},
};

async function detect(context: StepContext): Promise<Diagnosis> {
	const found = need(context.facts.found, 'Multus DaemonSet');
	const probe = probeFor(clientOf(context), found, context.options, context.signal);
	const [checks, logs] = await Promise.all([runChecks(declareChecks(found), probe), probe.logs()]);
	const broken = checks.some(check => check.blocks && check.status === 'fail');
	const requirements = requiredRules(found.daemonSet.mode, found.daemonSet.release.release);
	const granted = found.roles.flatMap(role => role.rules);
	const rulesOf = (level: string) => checks.flatMap(check => (check.kind === 'rules' && check.level === level ? check.missing : []));
	return {
		checks,
		logs,
		access: podsAccess(checks),
		rules: {
			requirements: requirements.map(requirement => ({...requirement, covered: rulesCover(granted, requirement.rule)})),
			missing: rulesOf('blocking'),
			advisoryMissing: rulesOf('advisory'),
		},
		verdict: broken ? 'broken' : 'healthy',
		summary: summaryOf(found, checks, requirements, broken, logs.count),
	};
}

/** The detect step's one sentence. */
function summaryOf(found: Found, checks: CheckResult[], requirements: Requirement[], broken: boolean, forbiddenLines: number): string {
	if (found.daemonSet.mode === 'thin') return say.healthyThin(found.daemonSet);
	if (!broken) return forbiddenLines > 0 ? say.healthyWithOldLines(found.identity.user, forbiddenLines) : say.healthy(found.identity.user);
	// Per informer: the verbs its reviews denied, when its rule is missing or a review denied it.
	const granted = found.roles.flatMap(role => role.rules);
	const denials: InformerDenial[] = [];
	for (const requirement of requirements) {
		if (requirement.level !== 'blocking' || !requirement.informer) continue;
		const denied = checks.flatMap(check =>
			check.kind === 'access' && check.blocks && check.status === 'fail' && requirement.rule.resources?.includes(check.question.resource) && requirement.rule.apiGroups?.includes(check.question.group)
				? [check.question.verb]
				: [],
		);
		if (denied.length > 0 || !rulesCover(granted, requirement.rule)) {
			denials.push({informer: requirement.informer, resource: requirement.rule.resources?.[0] ?? '', verbs: denied});
		}
	}
	return say.broken(denials);
}
