// How the doctor's checks judge what the cluster answered. Pure: the questions and the words are the doctor's
// (source/doctor/checks.ts); here only what an answer means.
import type {V1PolicyRule} from '@kubernetes/client-node';
import {missingRules} from './rbac.js';
import type {Requirement} from './requirements.js';

/** pass: fine; fail: the thing checked is wrong (a blocking check's failure is the bug); unknown: no answer to judge. */
export type CheckStatus = 'pass' | 'fail' | 'unknown';

/** One access question: may the daemon do `verb` on `resource` in `group`, at cluster scope? */
export interface AccessQuestion {
	group: string;
	resource: string;
	verb: string;
}

/** Every question a rule asks, one per group, resource and verb (a review answers one at a time). */
export function accessQuestions(rule: V1PolicyRule): AccessQuestion[] {
	return (rule.apiGroups ?? ['']).flatMap(group => (rule.resources ?? []).flatMap(resource => (rule.verbs ?? []).map(verb => ({group, resource, verb}))));
}

/** A stable check id for an access question: `pods-list-access`, `network-attachment-definitions-watch-access`. */
export function accessCheckId(question: AccessQuestion): string {
	return `${question.resource.replaceAll('/', '-')}-${question.verb}-access`;
}

/** An access review's answer: allowed passes. */
export function judgeAccess(answer: {allowed: boolean}): CheckStatus {
	return answer.allowed ? 'pass' : 'fail';
}

/** One requirement the bound roles do not grant (in full): its finding's code, and the part of its rule missing. */
export interface RuleGap {
	code: string;
	rule: V1PolicyRule;
}

/** The bound roles' rules against the requirements of one level: fails with what is missing, and each gap's code. */
export function judgeRules(granted: V1PolicyRule[], requirements: Requirement[]): {status: CheckStatus; missing: V1PolicyRule[]; gaps: RuleGap[]} {
	const missing = missingRules(granted, requirements.map(requirement => requirement.rule));
	const gaps = requirements.flatMap(requirement => missingRules(granted, [requirement.rule]).map(rule => ({code: requirement.finding.code, rule})));
	return {status: missing.length === 0 ? 'pass' : 'fail', missing, gaps};
}

/** Forbidden lines of one family in the sampled logs: any fails; no log read is unknown. */
export function judgeForbiddenLines(count: number, podsRead: number): CheckStatus {
	if (podsRead === 0) return 'unknown';
	return count > 0 ? 'fail' : 'pass';
}
