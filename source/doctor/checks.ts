// The diagnosis as declared checks (after linkerd's healthcheck and cilium's status): each check has a stable id,
// asks the cluster one thing, judges the answer with a pure function (source/multus/checks.ts), and says whether
// its failure blocks (makes the daemon broken, so the fix applies). The checks come from the requirements of the
// Multus found (source/multus/requirements.ts): an access review for every verb of every blocking requirement, the
// bound rules against each level of requirements, and the forbidden lines of every informer family the daemon
// runs. A new blocking requirement is a new check by itself; a new kind of check is one more declaration here,
// its words in present.ts (checkLines), and its test. Every check names the finding its failure is (its stable
// code, source/multus/findings.ts; a page in docs/findings.md).
import {MultusError} from '../errors.js';
import type {KubeApi} from '../kube/client.js';
import {finding, forbiddenFamilyFinding} from '../multus/findings.js';
import {accessCheckId, accessQuestions, judgeAccess, judgeForbiddenLines, judgeRules, type AccessQuestion} from '../multus/checks.js';
import {forbiddenKindOf, type InformerForbiddenKind} from '../multus/logs.js';
import {daemonInformers, requiredRules, type Requirement, type RequirementLevel} from '../multus/requirements.js';
import type {DoctorOptions} from '../options.js';
import {logEvidence} from './evidence.js';
import type {CheckResult, Found, LogEvidence} from './model.js';

/** What a check may ask: the cluster, the Multus found, and the sampled pods' logs (read once for every check). */
export interface Probe {
	client: KubeApi;
	found: Found;
	/** The sampled pods' logs, classified; the first check to ask reads them, the others share that read. */
	logs(): Promise<LogEvidence>;
}

/** One declared check: what it asks the cluster, and how the answer is judged (pure). */
export interface Check {
	id: string;
	/** The finding its failure is: a stable code with a page in docs/findings.md. */
	code: string;
	/** Whether its failure makes the daemon broken (the fix applies); otherwise it is evidence or a warning. */
	blocks: boolean;
	run(probe: Probe): Promise<CheckResult>;
}

/** May the daemon's identity do this at cluster scope? A SubjectAccessReview; its denial is the finding `code`. */
export function accessCheck(question: AccessQuestion, blocks: boolean, code: string | undefined): Check {
	const id = accessCheckId(question);
	// A blocking requirement names its reviews' findings (requirements.ts); a test asks every release's declarations.
	if (!code) throw new MultusError('Internal', `access check ${id} has no finding code (its requirement's denied, source/multus/requirements.ts)`);
	return {
		id,
		code,
		blocks,
		async run({client, found}) {
			const answer = await client.subjectAccess(found.identity.user, found.identity.groups, {verb: question.verb, group: question.group, resource: question.resource});
			return {id, code, blocks, kind: 'access', status: judgeAccess(answer), question, answer};
		},
	};
}

/** Do the bound roles grant the requirements of this level? From the roles already read: no request. */
export function rulesCheck(level: RequirementLevel, requirements: Requirement[]): Check {
	const id = level === 'blocking' ? 'rbac-rules' : 'rbac-advisory-rules';
	const blocks = level === 'blocking';
	const code = (blocks ? finding.blockingRulesMissing : finding.advisoryRulesMissing).code;
	return {
		id,
		code,
		blocks,
		async run({found}) {
			const {status, missing, gaps} = judgeRules(found.roles.flatMap(role => role.rules), requirements);
			return {id, code, blocks, kind: 'rules', status, level, missing, gaps};
		},
	};
}

/** Does the daemon log this informer family's denials? Evidence, never blocking: the rules and reviews decide. */
export function forbiddenLinesCheck(family: InformerForbiddenKind): Check {
	const id = `${family}-logs`;
	const {code} = forbiddenFamilyFinding[family];
	return {
		id,
		code,
		blocks: false,
		async run({logs}) {
			const evidence = await logs();
			const count = evidence.families[family];
			return {id, code, blocks: false, kind: 'logs', status: judgeForbiddenLines(count, evidence.podsRead), family, count};
		},
	};
}

/**
 * The access reviews for the Multus found: one for every verb of every blocking requirement. The pods list and
 * watch reviews are always asked: the report has promised them since its first version (findings.accessReview and
 * verification.accessReview); they block only where a blocking requirement asks for them. Detect asks them before
 * the fix, verify again after it.
 */
export function accessChecks(found: Found): Check[] {
	const blocking = requiredRules(found.daemonSet.mode, found.daemonSet.release.release).filter(requirement => requirement.level === 'blocking');
	const access = blocking.flatMap(requirement => accessQuestions(requirement.rule).map(question => accessCheck(question, true, requirement.denied?.[question.verb]?.code)));
	for (const [verb, denied] of [['list', finding.podsListDenied], ['watch', finding.podsWatchDenied]] as const) {
		const question = {group: '', resource: 'pods', verb};
		if (!access.some(check => check.id === accessCheckId(question))) access.push(accessCheck(question, false, denied.code));
	}
	return access;
}

/** The checks for the Multus found, from its requirements: the log families, the access reviews, the rules. */
export function declareChecks(found: Found): Check[] {
	const {mode} = found.daemonSet;
	const release = found.daemonSet.release.release;
	const requirements = requiredRules(mode, release);
	return [
		...daemonInformers(mode, release).map(informer => forbiddenLinesCheck(forbiddenKindOf[informer])),
		...accessChecks(found),
		rulesCheck('blocking', requirements.filter(requirement => requirement.level === 'blocking')),
		rulesCheck('advisory', requirements.filter(requirement => requirement.level === 'advisory')),
	];
}

/** Runs every check (at once: they are independent), in declaration order in the result. */
export async function runChecks(checks: Check[], probe: Probe): Promise<CheckResult[]> {
	return Promise.all(checks.map(check => check.run(probe)));
}

/** A probe that reads the sampled pods' logs once, when a check first asks. */
export function probeFor(client: KubeApi, found: Found, options: Pick<DoctorOptions, 'logPods' | 'logBytes'>, signal: AbortSignal): Probe {
	let logs: Promise<LogEvidence> | undefined;
	return {
		client,
		found,
		logs: () =>
			(logs ??= (async () => {
				const pods = await client.listPods(found.daemonSet.namespace, found.selector, options.logPods);
				return logEvidence(client, pods.items.slice(0, options.logPods), found.daemonSet.container, options.logBytes, signal);
			})()),
	};
}
